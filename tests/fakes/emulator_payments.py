"""Telegram Stars payments in the emulator: the bot's methods (sendInvoice, answerPreCheckoutQuery,
refundStarPayment, getStarTransactions) and what a paying user does (check out an invoice, pay,
get a refund from Telegram outside the bot), plus the faults a test needs (a successful_payment
update that never arrives, the same one delivered twice).

    query = checkout(emu, alice)            # a pre_checkout_query update for her newest invoice
    await bot.feed()                        # the bot answers it
    charge = complete(emu, query)           # ok → the Stars move and a successful_payment message
    charge = await pay(emu, alice)          # both steps, waiting for the answer (a polling bot)

Shapes and rules follow https://core.telegram.org/bots/api#payments (Stars: currency XTR, exactly
one price, an empty provider_token; title 1-32 characters, description 1-255, payload 1-128
bytes; the answer within 10 seconds). getStarTransactions clamps offset and limit (1-100) as the
Bot API server does. Error texts not documented by Telegram and assumed here:
CHARGE_NOT_FOUND (refunding an unknown charge or another user's), ERROR_MESSAGE_EMPTY;
CHARGE_ALREADY_REFUNDED is Telegram's own.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .emulator_formatting import ApiError, bad_request, validate_reply_markup

if TYPE_CHECKING:
    from .emulator_user import EmulatedUser
    from .telegram_emulator import TelegramEmulator

ANSWER_WINDOW = 10.0  # seconds Telegram waits for answerPreCheckoutQuery


@dataclass
class Invoice:
    chat_id: int
    message_id: int
    title: str
    description: str
    payload: str
    currency: str
    amount: int


@dataclass
class Query:
    user: "EmulatedUser"
    invoice: Invoice
    asked_at: float
    answer: dict | None = None


@dataclass
class Charge:
    id: str
    user: "EmulatedUser"
    invoice: Invoice
    message: dict  # the successful_payment message, for a second delivery
    refunded: bool = False


@dataclass
class Stars:
    """The emulator's payments state (``stars(emu)``)."""

    invoices: dict[tuple[int, int], Invoice] = field(default_factory=dict)
    queries: dict[str, Query] = field(default_factory=dict)
    charges: dict[str, Charge] = field(default_factory=dict)
    transactions: list[dict] = field(default_factory=list)  # StarTransaction JSON, oldest first
    answered: asyncio.Event = field(default_factory=asyncio.Event)


def stars(emu: "TelegramEmulator") -> Stars:
    return emu.__dict__.setdefault("_stars", Stars())


class Declined(Exception):
    """The bot answered the pre-checkout query with ok=False; ``message`` is what the user saw."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ------------------------------------------------------------------ the bot's methods
def _json_param(p: dict, name: str) -> Any:
    value = p.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise bad_request(f"can't parse {name} JSON object") from None
    return value


async def send_invoice(self: "TelegramEmulator", p: dict) -> dict:
    user = self._chat(p)
    title, description, payload = str(p.get("title") or ""), str(p.get("description") or ""), str(p.get("payload") or "")
    currency, prices = str(p.get("currency") or ""), _json_param(p, "prices")
    if not 1 <= len(title) <= 32:
        raise bad_request("INVOICE_TITLE_EMPTY" if not title else "title is too long")
    if not 1 <= len(description) <= 255:
        raise bad_request("description must be 1-255 characters")
    if not 1 <= len(payload.encode()) <= 128:
        raise bad_request("INVOICE_PAYLOAD_INVALID")
    if not isinstance(prices, list) or not prices:
        raise bad_request("can't parse prices JSON object")
    if currency != "XTR" or p.get("provider_token"):
        raise bad_request("the emulator sells only in Telegram Stars (currency XTR, empty provider_token)")
    if len(prices) != 1:
        raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")  # Stars invoices take exactly one price
    amount = prices[0].get("amount") if isinstance(prices[0], dict) else None
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
    markup = validate_reply_markup(p.get("reply_markup"))
    msg = self._new_bot_message(user, "invoice", f"{title}\n{description}", [], p, markup)
    invoice = Invoice(user.chat_id, msg.message_id, title, description, payload, currency, amount)
    stars(self).invoices[(user.chat_id, msg.message_id)] = invoice
    data = {"message_id": msg.message_id, "from": self.bot_user_json(), "chat": user.chat_json(), "date": msg.date,
            "invoice": {"title": title, "description": description, "start_parameter": "", "currency": currency,
                        "total_amount": amount}}
    if markup:
        data["reply_markup"] = markup
    return data


async def answer_pre_checkout_query(self: "TelegramEmulator", p: dict) -> bool:
    state = stars(self)
    query = state.queries.get(str(p.get("pre_checkout_query_id") or ""))
    if query is None or query.answer is not None or time.monotonic() - query.asked_at > ANSWER_WINDOW:
        raise bad_request("QUERY_ID_INVALID")
    ok = p.get("ok")
    ok = ok.lower() == "true" if isinstance(ok, str) else bool(ok)
    if not ok and not str(p.get("error_message") or "").strip():
        raise bad_request("ERROR_MESSAGE_EMPTY")
    query.answer = {"ok": ok, "error_message": p.get("error_message")}
    state.answered.set()
    state.answered = asyncio.Event()
    return True


async def refund_star_payment(self: "TelegramEmulator", p: dict) -> bool:
    charge = stars(self).charges.get(str(p.get("telegram_payment_charge_id") or ""))
    if charge is None or charge.user.id != p.get("user_id"):
        raise bad_request("CHARGE_NOT_FOUND")
    if charge.refunded:
        raise bad_request("CHARGE_ALREADY_REFUNDED")
    _refund(self, charge)
    return True


async def get_star_transactions(self: "TelegramEmulator", p: dict) -> dict:
    offset = max(int(p.get("offset") or 0), 0)
    limit = min(max(int(p.get("limit") or 100), 1), 100)
    return {"transactions": stars(self).transactions[offset:offset + limit]}


METHODS = {"sendInvoice": "api_send_invoice", "answerPreCheckoutQuery": "api_answer_pre_checkout_query",
           "refundStarPayment": "api_refund_star_payment", "getStarTransactions": "api_get_star_transactions"}
IMPLEMENTATIONS = {"api_send_invoice": send_invoice, "api_answer_pre_checkout_query": answer_pre_checkout_query,
                   "api_refund_star_payment": refund_star_payment, "api_get_star_transactions": get_star_transactions}


# ------------------------------------------------------------------ what users (and Telegram) do
def _transaction(charge: Charge, incoming: bool) -> dict:
    partner = {"type": "user", "transaction_type": "invoice_payment", "user": charge.user.user_json(),
               "invoice_payload": charge.invoice.payload}
    return {"id": charge.id, "amount": charge.invoice.amount, "date": int(time.time()),
            "source" if incoming else "receiver": partner}


def _refund(emu: "TelegramEmulator", charge: Charge) -> None:
    """The Stars go back; the bot gets a refunded_payment service message in the user's chat."""
    charge.refunded = True
    stars(emu).transactions.append(_transaction(charge, incoming=False))
    msg = charge.user._base_message()
    msg["refunded_payment"] = {"currency": charge.invoice.currency, "total_amount": charge.invoice.amount,
                               "invoice_payload": charge.invoice.payload, "telegram_payment_charge_id": charge.id}
    charge.user._post([msg])


def invoices(emu: "TelegramEmulator", user: "EmulatedUser") -> list[Invoice]:
    """The invoices the bot sent this user, oldest first."""
    return [inv for (chat, _), inv in sorted(stars(emu).invoices.items()) if chat == user.chat_id]


def checkout(emu: "TelegramEmulator", user: "EmulatedUser", invoice: Invoice | None = None) -> str:
    """The user presses Pay on ``invoice`` (default: the newest): a pre_checkout_query update."""
    invoice = invoice or invoices(emu, user)[-1]
    query_id = str(10**18 + secrets.randbelow(9 * 10**18))
    stars(emu).queries[query_id] = Query(user, invoice, time.monotonic())
    user._act()
    emu._enqueue_updates([{"pre_checkout_query": {
        "id": query_id, "from": user.user_json(), "currency": invoice.currency,
        "total_amount": invoice.amount, "invoice_payload": invoice.payload}}])
    return query_id


def answer(emu: "TelegramEmulator", query_id: str) -> dict | None:
    return stars(emu).queries[query_id].answer


def complete(emu: "TelegramEmulator", query_id: str, *, deliver: bool = True) -> str:
    """After the bot's answer: ok → the Stars move (a star transaction) and, unless ``deliver``
    is False (a lost update), a successful_payment message; returns the charge id. A decline
    raises Declined."""
    query = stars(emu).queries[query_id]
    if query.answer is None:
        raise ApiError(400, "the bot has not answered this pre-checkout query")
    if not query.answer["ok"]:
        raise Declined(query.answer["error_message"])
    charge_id = "stx" + secrets.token_urlsafe(24)
    msg = query.user._base_message()
    msg["successful_payment"] = {"currency": query.invoice.currency, "total_amount": query.invoice.amount,
                                 "invoice_payload": query.invoice.payload, "telegram_payment_charge_id": charge_id,
                                 "provider_payment_charge_id": ""}
    charge = stars(emu).charges[charge_id] = Charge(charge_id, query.user, query.invoice, msg)
    stars(emu).transactions.append(_transaction(charge, incoming=True))
    if deliver:
        query.user._post([msg])
    return charge_id


async def pay(emu: "TelegramEmulator", user: "EmulatedUser", invoice: Invoice | None = None, *,
              deliver: bool = True, timeout: float = ANSWER_WINDOW) -> str:
    """Check out and wait for the (polling) bot's answer; returns the charge id or raises Declined."""
    query_id = checkout(emu, user, invoice)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while answer(emu, query_id) is None:
        event = stars(emu).answered
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise TimeoutError(f"the bot did not answer pre-checkout query {query_id} within {timeout} s")
        try:
            await asyncio.wait_for(event.wait(), remaining)
        except TimeoutError:
            pass
    return complete(emu, query_id, deliver=deliver)


def deliver_again(emu: "TelegramEmulator", charge_id: str) -> None:
    """The same successful_payment message once more (Telegram redelivering an update)."""
    charge = stars(emu).charges[charge_id]
    charge.user._act()
    emu._enqueue_updates([{"message": charge.message}])


def refund_outside(emu: "TelegramEmulator", charge_id: str) -> None:
    """Telegram refunds the payment without the bot asking (support, a dispute)."""
    charge = stars(emu).charges[charge_id]
    if charge.refunded:
        raise ValueError(f"{charge_id} is refunded already")
    _refund(emu, charge)


def paid_without_the_bot(emu: "TelegramEmulator", user: "EmulatedUser", payload: str, amount: int) -> str:
    """A payment Telegram completed whose updates never reached the bot (nobody polled, or
    they were lost): the Stars moved; returns the charge id."""
    invoice = Invoice(user.chat_id, 0, "credits", "credits", payload, "XTR", amount)
    query_id = checkout(emu, user, invoice)
    stars(emu).queries[query_id].answer = {"ok": True, "error_message": None}
    return complete(emu, query_id, deliver=False)
