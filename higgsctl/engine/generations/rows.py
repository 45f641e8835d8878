"""Every statement on generation rows, in one place (synchronous: run them through the
engine's database door). Rows a job still drives are changed only while they are active;
the row arbitrates between processes (a cancel against a submit, two resumes).

The hot path (get, update, claim, finish) uses engine/fastsql.py's cached statements: peewee
would build the SQL in Python on every call, slower than SQLite runs it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from peewee import IntegrityError

from .. import audit, fastsql
from ..credits import Credits
from ..db import write_transaction
from ..errors import AlreadyHeld, InvalidInput, NotFound
from ..events import ACTIVE, TERMINAL, Charge, Status
from ..folding import fold
from ..models import Generation, database, utcnow
from ..pg_listen import SLOTS, notify

STILL_ACTIVE = f"status IN ({', '.join('?' for _ in ACTIVE)})"  # with ACTIVE as its parameters
NOT_SUBMITTED = f"{STILL_ACTIVE} AND submitted_at IS NULL"
NOBODY_SUBMITTED = f"{STILL_ACTIVE} AND request_id IS NULL"


def _row_key(origin_key: str | None, n: int) -> str | None:
    """A batch's rows: the first carries the key itself, the others "#2", "#3"..."""
    return origin_key if origin_key is None or n == 0 else f"{origin_key}#{n + 1}"


@dataclass(frozen=True)
class AdminAct:
    """Who does an admin action on a generation, and why (for the audit trail)."""

    actor: str
    reason: str | None = None


def _refused(action: str, generation: Generation) -> InvalidInput:
    """Why ``action`` can't be done to ``generation`` as it is now."""
    gid = generation.id
    if action == "refund":
        if generation.charge == Charge.REFUNDED:
            return InvalidInput(f"Generation #{gid} was already refunded.", code="refund_already")
        return InvalidInput(f"Generation #{gid} is {generation.status} ({generation.charge}): only a completed, "
                            "charged generation can be refunded.", code="refund_refused",
                            hint="A failed or canceled one was never charged; cancel a queued one.")
    if generation.source != "bot" or generation.chat_id is None:
        why = "was not made in the bot: there is no chat to send it to"
    elif generation.status != Status.COMPLETED:
        why = f"is {generation.status}: only a completed result can be sent again"
    else:
        why = "is not delivered yet: the bot is still sending it"
    return InvalidInput(f"Generation #{gid} {why}.", code="resend_refused")


class GenerationRows:
    """Reads and writes of generation rows; ending one settles its hold in the same transaction."""

    def __init__(self, credits: Credits) -> None:
        self.credits = credits

    # --- holding: a new job --------------------------------------------------------------

    def hold(self, user_id: int, cost: int, **fields) -> Generation:
        """Debit ``cost`` and create the generation that owns the hold, atomically."""
        return self.hold_batch(user_id, cost, 1, **fields)[0]

    def hold_batch(self, user_id: int, cost: int, count: int, *, origin_key: str | None = None,
                   **fields) -> list[Generation]:
        """Debit ``count × cost`` and create ``count`` generations (one hold each, sharing a
        ``batch`` key when there are several) in one transaction: all of them or none.
        ``origin_key`` (what started it, e.g. a bot press) holds once: AlreadyHeld if a hold
        under it exists, here or in another process, and nothing is charged."""
        try:
            return self._hold_batch(user_id, cost, count, origin_key, fields)
        except IntegrityError:
            if origin_key is not None and self.held_for(origin_key) is not None:  # a racing hold won
                raise AlreadyHeld(origin_key) from None
            raise

    def _hold_batch(self, user_id: int, cost: int, count: int, origin_key: str | None, fields: dict) -> list[Generation]:
        batch = uuid.uuid4().hex if count > 1 else None
        generations = []
        with write_transaction(database.obj):
            if origin_key is not None and self.held_for(origin_key) is not None:  # (before the debit: a
                raise AlreadyHeld(origin_key)  # repeated press is never refused for its price instead)
            self.credits.debit(user_id, cost * count)
            for n in range(count):
                generation = fastsql.insert(
                    Generation, user=user_id, cost=cost, charge=Charge.HELD, batch=batch,
                    prompt_folded=fold(fields.get("prompt")), origin_key=_row_key(origin_key, n),
                    **{"idempotency_key": uuid.uuid4().hex, **fields},
                )
                self.credits.record_hold(user_id, cost, generation.id, actor=generation.source,
                                         note=f"{generation.model} generation #{generation.id}")
                generations.append(generation)
        return generations

    def held_for(self, origin_key: str) -> int | None:
        """The id of the generation (a batch's first) held under ``origin_key``, if any."""
        db = database.obj
        row = db.execute_sql(f"SELECT id FROM generation WHERE origin_key = {db.param}", (origin_key,)).fetchone()
        return row[0] if row else None

    # --- reading -----------------------------------------------------------------------

    def get(self, generation_id: int) -> Generation:
        generation = fastsql.get(Generation, generation_id)
        if generation is None:
            raise NotFound(f"No generation #{generation_id}.")
        return generation

    def batch(self, key: str) -> list[Generation]:
        """The generations of one request for several images, in id order."""
        return list(Generation.select().where(Generation.batch == key).order_by(Generation.id))

    def unfinished(self, source: str | None = None) -> list[Generation]:
        query = Generation.select().where(Generation.status.in_(ACTIVE))
        if source:
            query = query.where(Generation.source == source)
        return list(query.order_by(Generation.id))

    def undelivered(self, source: str = "bot") -> list[Generation]:
        return list(
            Generation.select().where(
                (Generation.source == source) & Generation.status.in_(TERMINAL) & Generation.delivered_at.is_null()
            ).order_by(Generation.id)
        )

    # --- a running job -----------------------------------------------------------------

    def update(self, generation_id: int, **fields) -> None:
        """Change a job that is still running; a finished job is never brought back."""
        fastsql.update(Generation, generation_id, STILL_ACTIVE, ACTIVE, **fields)

    def mark_downloading(self, generation_id: int) -> None:
        """The request is done upstream: its image is fetched next, and its account slot is
        free for any process (told at once on PostgreSQL)."""
        with write_transaction(database.obj):
            fastsql.update(Generation, generation_id, STILL_ACTIVE, ACTIVE, status=Status.DOWNLOADING, slot_held=False)
            notify(SLOTS)

    def claim_submit(self, generation_id: int) -> bool:
        """Mark the submit as under way, if the job is still active and nobody submitted it.
        False: it was canceled, or another process holds its request."""
        return bool(fastsql.update(Generation, generation_id, NOBODY_SUBMITTED, ACTIVE, submitted_at=utcnow()))

    def store_reference_urls(self, generation_id: int, urls: list[str]) -> Generation:
        """The first stored set wins, should another process have uploaded them too."""
        fastsql.update(Generation, generation_id, "reference_urls IS NULL", (), reference_urls=urls)
        return self.get(generation_id)

    # --- ending ------------------------------------------------------------------------

    def finish(self, generation_id: int, status: str, error: str | None = None, files: list[str] | None = None,
               error_code: str | None = None) -> bool:
        """Record the terminal status (``error_code``: why, for faces to translate) and settle the
        hold in one transaction. Only the first caller for a job changes anything; returns
        whether this call did."""
        with write_transaction(database.obj):
            changes = {"status": status, "error": error, "error_code": error_code, "finished_at": utcnow(),
                       "slot_held": False}  # an ended job's request no longer counts against the account
            if files is not None:
                changes["result_files"] = files
            done = fastsql.update(Generation, generation_id, STILL_ACTIVE, ACTIVE, **changes)
            if done:
                notify(SLOTS)
            if status == Status.COMPLETED:
                self.capture(generation_id)
            else:
                self.release(generation_id, status)
        return bool(done)

    def finish_and_get(self, generation_id: int, status: str, error: str | None, files: list[str] | None,
                       error_code: str | None = None) -> Generation:
        self.finish(generation_id, status, error, files, error_code)
        return self.get(generation_id)

    def cancel_unsubmitted(self, generation_id: int, by: AdminAct | None = None) -> bool:
        """End a job as canceled (releasing its hold) only if its submit never started; an
        admin's cancel (``by``) is audited in the same transaction."""
        with write_transaction(database.obj):
            done = fastsql.update(
                Generation, generation_id, NOT_SUBMITTED, ACTIVE,
                status=Status.CANCELED, error="canceled before submission", error_code="canceled",
                finished_at=utcnow(),
            )
            if done:
                self.release(generation_id, Status.CANCELED)
                if by is not None:
                    self.audit_cancel(generation_id, by, "before submission")
        return bool(done)

    def audit_cancel(self, generation_id: int, by: AdminAct, when: str) -> None:
        generation = fastsql.get(Generation, generation_id)
        audit.record(by.actor, "cancel", user_id=generation.user_id, target=f"generation:{generation_id}",
                     after={"status": Status.CANCELED, "released": generation.cost, "when": when}, reason=by.reason)

    # --- an admin's after-the-fact actions -----------------------------------------------

    def refund(self, generation_id: int, by: AdminAct) -> int:
        """Give a completed generation's captured credits back (ledger reason ``refund``),
        exactly once: the charge flips captured → refunded in the transaction that moves the
        credits and writes the audit entry. Returns the new balance; InvalidInput if it can't."""
        with write_transaction(database.obj):
            generation = self.get(generation_id)
            flipped = fastsql.update(Generation, generation_id, "status = ? AND charge = ?",
                                     (Status.COMPLETED, Charge.CAPTURED), charge=Charge.REFUNDED)
            if not flipped:  # read again: another refund may have just committed
                raise _refused("refund", self.get(generation_id))
            before = self.credits.balance(generation.user_id)
            balance = self.credits.add(generation.user_id, generation.cost, reason="refund", actor=by.actor,
                                       note=by.reason or f"refund of generation #{generation_id}",
                                       generation=generation_id)[0]
            audit.record(by.actor, "refund", user_id=generation.user_id, target=f"generation:{generation_id}",
                         before={"charge": Charge.CAPTURED, "balance": before},
                         after={"charge": Charge.REFUNDED, "balance": balance, "amount": generation.cost},
                         reason=by.reason)
        return balance

    def request_resend(self, generation_id: int, by: AdminAct) -> None:
        """Have the bot send a completed result again: its delivery is marked undone, so the
        bot's notifier sweep delivers it (exactly once more). Only for delivered bot results."""
        with write_transaction(database.obj):
            generation = self.get(generation_id)
            reset = fastsql.update(
                Generation, generation_id,
                "status = ? AND source = 'bot' AND chat_id IS NOT NULL AND delivered_at IS NOT NULL",
                (Status.COMPLETED,), delivered_at=None, delivered_parts=0,
            )
            if not reset:
                raise _refused("resend", self.get(generation_id))
            audit.record(by.actor, "resend", user_id=generation.user_id, target=f"generation:{generation_id}",
                         before={"delivered_at": generation.delivered_at.isoformat(timespec="seconds")},
                         after={"delivered_at": None}, reason=by.reason)

    # --- settling the hold ---------------------------------------------------------------

    def capture(self, generation_id: int) -> bool:
        """Keep the held credits for good. True if this call did it, False if already settled."""
        with write_transaction(database.obj):
            return bool(fastsql.update(Generation, generation_id, "charge = ?", (Charge.HELD,), charge=Charge.CAPTURED))

    def release(self, generation_id: int, why: str) -> bool:
        """Give the held credits back. True if this call did it, False if already settled."""
        with write_transaction(database.obj):
            if not fastsql.update(Generation, generation_id, "charge = ?", (Charge.HELD,), charge=Charge.RELEASED):
                return False
            generation = fastsql.get(Generation, generation_id)
            self.credits.give_back(generation.user_id, generation.cost, generation_id,
                                   note=f"generation #{generation_id} {why}")
        return True

    # --- delivery (the bot) ------------------------------------------------------------

    def mark_delivered(self, generation_id: int) -> bool:
        """Claim delivery of a result: True for exactly one caller."""
        return bool(
            Generation.update(delivered_at=utcnow())
            .where((Generation.id == generation_id) & Generation.delivered_at.is_null())
            .execute()
        )

    def mark_part_delivered(self, generation_id: int, part: int) -> None:
        """Record that part ``part`` (counted from 0, in the order a face sends them) of a
        job's outcome reached the user, right after it did: a delivery that starts again
        after a crash skips the first ``delivered_parts``. Never moves backwards."""
        (Generation.update(delivered_parts=part + 1)
         .where((Generation.id == generation_id) & (Generation.delivered_parts <= part)).execute())
