"""How long each admin TUI screen takes to show its data on a big database.

Seeds 10,000 users and 100,000 generations (plus their ledger, some top-up requests and
50,000 audit entries) into a temporary SQLite database with bulk inserts, then drives the real app headless
(``App.run_test``) and times each screen from the request until its data is on screen.

    python -m bench.tui_screens [--users N] [--generations N] [--audit N] [--payments N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import timedelta

BATCH = 5_000
STATUSES = (
    ("completed", 0.85), ("failed", 0.07), ("nsfw", 0.03), ("timed_out", 0.02),
    ("canceled", 0.0297), ("in_progress", 0.0002), ("queued", 0.0001),
)


def seed(engine, users: int, generations: int) -> dict:
    from higgsctl.engine import ACTIVE
    from peewee import fn

    from higgsctl.engine.folding import fold, user_names
    from higgsctl.engine.models import Generation, LedgerEntry, TopUpRequest, User, database, utcnow

    rng = random.Random(7)
    now = utcnow()
    initial = engine.settings.credits.initial
    models = list(engine.settings.models)
    ids = list(range(1_000_001, 1_000_001 + users))
    spent = dict.fromkeys(ids, 0)
    db = database.obj

    def insert(model, rows: list[dict]) -> None:
        """Bulk insert: the column list comes from the peewee model, the rows go through one
        ``executemany`` per batch (peewee's insert_many renders every value into SQL text,
        which takes ~25 s for this data set; this takes ~2 s)."""
        given = set(rows[0])
        fields = [f for f in model._meta.sorted_fields if f.name in given or f.default is not None]
        defaults = {f.name: f.default for f in fields if f.name not in given}
        columns = ", ".join(f'"{f.column_name}"' for f in fields)
        sql = f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES ({", ".join("?" * len(fields))})'
        cursor = db.cursor()
        for i in range(0, len(rows), BATCH):
            batch = [{**{k: v() if callable(v) else v for k, v in defaults.items()}, **row} for row in rows[i:i + BATCH]]
            cursor.executemany(sql, [tuple(f.db_value(row[f.name]) for f in fields) for row in batch])

    started = time.perf_counter()
    gen_rows, holds = [], []
    names, weights = zip(*STATUSES)
    # oldest first, as a real database grows: ids and created_at rise together
    moments = sorted(now - timedelta(seconds=rng.uniform(0, 60 * 86400)) for _ in range(generations))
    for n, created in enumerate(moments):
        uid = ids[min(int(rng.paretovariate(1.2)) - 1, users - 1)] if n % 3 == 0 else rng.choice(ids)
        status = rng.choices(names, weights)[0]
        active = status in ACTIVE
        charge = "held" if active else ("captured" if status == "completed" else "released")
        prompt = f"bench prompt {n}: a castle on a hill"
        gen_rows.append({
            "user": uid, "model": rng.choice(models), "prompt": prompt, "prompt_folded": fold(prompt),
            "aspect_ratio": "1:1", "references": [], "source": "bot", "idempotency_key": uuid.uuid4().hex,
            "status": status, "error": "upstream failed" if status == "failed" else None,
            "result_files": [f"users/{uid}/results/{n + 1}-0.png"] if status == "completed" else [],
            "cost": 50, "charge": charge, "created_at": created,
            "submitted_at": created + timedelta(seconds=2), "finished_at": None if active else created + timedelta(seconds=30),
        })
        holds.append((uid, charge, created))
        if charge != "released":
            spent[uid] += 50

    with db.atomic():
        insert(User, [{
            "id": uid, "username": f"user{uid}", "first_name": f"Name{uid % 997}", "language": "en",
            "name_folded": user_names(f"user{uid}", f"Name{uid % 997}", None),
            "balance": initial - spent[uid], "created_at": now - timedelta(days=90),
            "last_seen_at": now - timedelta(minutes=rng.randint(0, 90 * 1440)),
        } for uid in ids])
        insert(LedgerEntry, [{"user": uid, "amount": initial, "reason": "signup", "actor": "system",
                              "created_at": now - timedelta(days=90)} for uid in ids])
    with db.atomic():
        insert(Generation, gen_rows)
    first_id = Generation.select(Generation.id).order_by(Generation.id).limit(1).scalar()
    ledger = []
    for offset, (uid, charge, created) in enumerate(holds):
        gid = first_id + offset
        ledger.append({"user": uid, "amount": -50, "reason": "hold", "actor": "bot", "generation": gid,
                       "note": f"generation #{gid}", "created_at": created})
        if charge == "released":
            ledger.append({"user": uid, "amount": 50, "reason": "release", "actor": "system", "generation": gid,
                           "note": f"generation #{gid} failed", "created_at": created + timedelta(seconds=30)})
    with db.atomic():
        insert(LedgerEntry, ledger)
        topups = [{"user": uid, "amount": 2500, "status": "pending" if i < 50 else "approved",
                   "granted": None if i < 50 else 2500, "decided_by": None if i < 50 else "admin:1",
                   "decided_at": None if i < 50 else now, "notified_at": None if i < 50 else now}
                  for i, uid in enumerate(rng.sample(ids, 300))]
        insert(TopUpRequest, topups)
        # approved top-ups are in the ledger and the balance too
        for t in TopUpRequest.select().where(TopUpRequest.status == "approved"):
            LedgerEntry.create(user=t.user_id, amount=2500, reason="topup", actor="admin:1", topup=t)
            User.update(balance=User.balance + 2500).where(User.id == t.user_id).execute()
    busiest = (Generation.select(Generation.user).group_by(Generation.user)
               .order_by(fn.COUNT(Generation.id).desc()).limit(1).scalar())
    return {"seconds": time.perf_counter() - started, "ledger": LedgerEntry.select().count(), "busiest": busiest}


def seed_audit(engine, entries: int, busiest: int) -> None:
    """Admin actions, oldest first: grants, blocks, refunds... spread over 60 days."""
    from higgsctl.engine.audit import ACTIONS
    from higgsctl.engine.models import AuditEntry, database, utcnow

    rng, now = random.Random(11), utcnow()
    rows = [(f"admin:{rng.randint(1, 5)} (@boss)", rng.choice(ACTIONS), busiest if i % 50 == 0 else 1_000_001 + rng.randrange(9_000),
             f"user:{i}", '{"balance": 100}', '{"balance": 600, "amount": 500}', "bench", now - timedelta(seconds=(entries - i) * 100))
            for i in range(entries)]
    with database.obj.atomic():
        database.obj.cursor().executemany(
            f'INSERT INTO "{AuditEntry._meta.table_name}" (actor, action, user_id, target, before, after, reason, created_at) '
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)


def seed_payments(engine, payments: int) -> None:
    """Stars purchases over 60 days (a tenth refunded), each with its purchase in the ledger and
    the balance it added, so the books still balance."""
    from higgsctl.engine.models import LedgerEntry, Payment, database, utcnow

    rng, now = random.Random(13), utcnow()
    bought: dict[int, int] = {}
    pay_rows, ledger_rows = [], []
    for i in range(payments):
        user, at = 1_000_001 + rng.randrange(10_000), now - timedelta(minutes=rng.randrange(60 * 24 * 60))
        stars, credits = rng.choice(((100, 2500), (250, 6500), (500, 14000)))
        pay_rows.append((f"bench-{i}", user, "p", stars, credits, "bench", "refunded" if i % 10 == 0 else "credited", at))
        if i % 10:
            ledger_rows.append((user, credits, "purchase", f"user:{user}", at))
            bought[user] = bought.get(user, 0) + credits
    cursor = database.obj.cursor()
    with database.obj.atomic():
        cursor.executemany(f'INSERT INTO "{Payment._meta.table_name}" (charge_id, user_id, pack, stars, credits, payload, '
                           "status, created_at, taken_back, shortfall) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0)", pay_rows)
        cursor.executemany(f'INSERT INTO "{LedgerEntry._meta.table_name}" (user_id, amount, reason, actor, created_at) '
                           "VALUES (?, ?, ?, ?, ?)", ledger_rows)
        cursor.executemany('UPDATE "user" SET balance = balance + ? WHERE id = ?', [(c, u) for u, c in bought.items()])


async def measure(engine, busiest: int) -> list[tuple[str, float]]:
    from higgsctl.tui import AdminApp
    from higgsctl.tui.messages import OpenGeneration, OpenUser
    from higgsctl.tui.widgets.generation_filters import Filters

    app = AdminApp(engine, refresh_interval=0)  # no live timer while timing
    results: list[tuple[str, float]] = []

    started = time.perf_counter()
    async with app.run_test(size=(160, 50)) as pilot:

        async def shown(label: str, start: float, screen_type: str, loads: int = 0) -> None:
            deadline = time.perf_counter() + 60
            while not (type(app.screen).__name__ == screen_type and app.screen.loads > loads):
                if time.perf_counter() > deadline:
                    raise TimeoutError(label)
                await asyncio.sleep(0.002)
            results.append((label, time.perf_counter() - start))
            await app.workers.wait_for_complete()
            await pilot.pause()

        await shown("overview (app start)", started, "OverviewScreen")

        for mode, screen, label in (("users", "UsersScreen", "users, page 1 by id"),
                                    ("topups", "TopUpsScreen", "top-up requests"),
                                    ("generations", "GenerationsScreen", "generations, page 1"),
                                    ("audit", "AuditScreen", "audit trail, page 1"),
                                    ("payments", "PaymentsScreen", "Stars payments (revenue + list)")):
            t = time.perf_counter()
            app.switch_mode(mode)
            await shown(label, t, screen)

        async def change(label: str, apply) -> None:
            screen = app.screen
            before = screen.loads
            t = time.perf_counter()
            apply(screen)
            await shown(label, t, type(screen).__name__, before)

        app.switch_mode("audit")
        await pilot.pause()
        await change("audit trail, last page", lambda s: s.change(offset=(s.total - 1) // 100 * 100))
        await change("audit trail, action=refund", lambda s: s.change(action="refund", offset=0))
        await change("audit trail, one user", lambda s: s.change(action=None, user=str(busiest), offset=0))
        app.switch_mode("generations")
        await pilot.pause()
        await change("generations, last page", lambda s: s.change(offset=(s.total - 1) // 100 * 100))
        await change("generations, status=failed", lambda s: s.change(filters=Filters(status="failed"), offset=0))
        await change("generations, one user", lambda s: s.change(filters=Filters(user=str(busiest)), offset=0))
        t = time.perf_counter()
        app.post_message(OpenGeneration(50_000))
        await shown("generation detail", t, "GenerationDetailScreen")
        app.pop_screen()

        t = time.perf_counter()
        app.switch_mode("users")
        await shown("users again (screen already open)", t, "UsersScreen", 1)
        await change("users, search 'user10004'", lambda s: s.change(search="user10004"))
        await change("users, search 'NAME99' (other case)", lambda s: s.change(search="NAME99"))
        await change("users, sort by generations", lambda s: s.change(search="", order="generations", descending=True))
        await change("users, sort by balance", lambda s: s.change(order="balance", descending=True))
        await change("users, sort by last seen", lambda s: s.change(order="last_seen_at", descending=True))
        await change("users, last page by generations", lambda s: s.change(order="generations", offset=(s.total - 1) // 200 * 200))
        t = time.perf_counter()
        app.post_message(OpenUser(busiest))
        await shown("user detail (busiest user)", t, "UserDetailScreen")

        # what a live refresh costs each tick (the same DB work, repeated every 2 s)
        for mode, label in (("overview", "overview"), ("generations", "generations"), ("topups", "top-ups")):
            app.switch_mode(mode)
            await pilot.pause()
            screen = app.screen
            samples = []
            for _ in range(5):
                t = time.perf_counter()
                await asyncio.to_thread(_fetch, screen)
                samples.append(time.perf_counter() - t)
            results.append((f"live refresh query: {label} (median of 5)", statistics.median(samples)))

        # `history -q`: a term every prompt has (the page fills at once) and one that one prompt has
        for text in ("A CASTLE", "PROMPT 99999:"):
            samples = []
            for _ in range(5):
                t = time.perf_counter()
                await asyncio.to_thread(_history_search, app.engine, text)
                samples.append(time.perf_counter() - t)
            results.append((f"history -q {text!r}, count + page (median of 5)", statistics.median(samples)))
    return results


def _history_search(engine, text: str):
    from higgsctl.engine import HistoryFilter

    with engine.db.connection_context():
        f = HistoryFilter(text=text, limit=50)
        return engine.history.count(f), engine.history.list(f)


def _fetch(screen):
    with screen.engine.db.connection_context():
        return screen.fetch()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--generations", type=int, default=100_000)
    parser.add_argument("--audit", type=int, default=50_000)
    parser.add_argument("--payments", type=int, default=20_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as home:
        os.environ["HIGGSCTL_HOME"] = home
        from higgsctl.engine import Engine, load_settings

        engine = Engine(load_settings())
        info = seed(engine, args.users, args.generations)
        seed_audit(engine, args.audit, info["busiest"])
        seed_payments(engine, args.payments)
        print(f"seeded {args.users:,} users, {args.generations:,} generations, {info['ledger']:,} ledger rows, "
              f"{args.audit:,} audit entries, {args.payments:,} payments "
              f"in {info['seconds']:.1f} s; books check: {len(engine.credits.discrepancies())} discrepancies")
        results = asyncio.run(measure(engine, info["busiest"]))
        engine.close()
    width = max(len(label) for label, _ in results)
    for label, seconds in results:
        print(f"  {label:<{width}}  {seconds * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
