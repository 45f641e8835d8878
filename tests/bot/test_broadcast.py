"""Broadcasts sent by the running bot against the Bot API emulator: 500 users, some of whom
blocked the bot, a restart in the middle, and nobody gets the message twice."""

from collections import Counter
from dataclasses import replace

from higgsctl.engine.models import BroadcastRecipient, User

from .harness import ADMIN, Running, configure, eventually, image

USERS = range(1000, 1500)
BLOCKED = set(range(1000, 1500, 10))  # 50 users blocked the bot


def bot_settings(settings, emu, rate: float):
    s = configure(settings, emu)
    return replace(s, telegram=replace(s.telegram, broadcast_rate=rate))


def received(emu, text: str) -> Counter:
    return Counter(uid for uid in USERS for m in emu.messages(uid) if (m.text or m.caption) == text)


async def test_500_users_a_restart_in_the_middle_and_nobody_twice(settings, emu, tmp_path):
    fast = bot_settings(settings, emu, rate=400.0)
    bot = await Running(fast).start()
    engine = bot.engine
    for uid in USERS:
        emu.user(uid, f"U{uid}").blocked = uid in BLOCKED
        engine.users.register(uid, first_name=f"U{uid}")
    emu.user(ADMIN, "Admin")
    report = engine.broadcasts.create("Big news: 20% off this weekend!", "all", actor="cli")
    assert report.total == 500
    try:
        await eventually(lambda: engine.broadcasts.report(report.broadcast.id).counts["sent"] >= 150, timeout=30)
    finally:
        await bot.stop()  # mid-broadcast
    bot = await Running(fast).start()
    try:
        bid = report.broadcast.id
        await eventually(lambda: engine.broadcasts.report(bid).broadcast.status == "done"
                         if (engine := bot.engine) else False, timeout=60)
        final = bot.engine.broadcasts.report(bid)
        got = received(emu, "Big news: 20% off this weekend!")
        assert max(got.values()) == 1  # nobody twice
        states = {r.user_id: r.state for r in BroadcastRecipient.select().where(BroadcastRecipient.broadcast == bid)}
        assert not set(got) & BLOCKED and {states[u] for u in BLOCKED} <= {"blocked", "unknown"}
        assert {u for u, state in states.items() if state == "sent"} == set(got)
        assert set(Counter(states.values())) <= {"sent", "blocked", "unknown"}  # nothing left pending
        assert final.counts["unknown"] <= 50  # the batch cut off by the stop: never sent again
        blocked_now = {u.id for u in User.select(User.id).where(User.blocked_bot_at.is_null(False))}
        assert blocked_now == {u for u, state in states.items() if state == "blocked"}
        assert bot.engine.broadcasts.count("all") == 500 - len(blocked_now)  # the next one skips them
        await eventually(lambda: any("Broadcast #" in (m.text or "") for m in emu.messages(ADMIN)))
    finally:
        await bot.stop()


async def test_a_photo_is_uploaded_once_then_sent_by_file_id_and_pause_holds_it(settings, emu, tmp_path):
    photo = tmp_path / "sale.png"
    photo.write_bytes(image(320, 200))
    bot = await Running(bot_settings(settings, emu, rate=200.0)).start()
    try:
        engine = bot.engine
        for uid in range(2000, 2020):
            emu.user(uid, "P")
            engine.users.register(uid)
        report = engine.broadcasts.create("Look!", "all", actor="cli", photo=photo)
        await eventually(lambda: engine.broadcasts.report(report.broadcast.id).broadcast.status == "done")
        photos = [m for uid in range(2000, 2020) for m in emu.messages(uid) if m.caption == "Look!"]
        assert len(photos) == 20 and len({m.photo[-1]["file_id"] for m in photos}) == 1
        paused = engine.broadcasts.create("Later", "all", actor="cli")
        engine.broadcasts.set_status(paused.broadcast.id, "paused")
        second = engine.broadcasts.create("Now", "all", actor="cli")
        await eventually(lambda: engine.broadcasts.report(second.broadcast.id).broadcast.status == "done")
        assert engine.broadcasts.report(paused.broadcast.id).counts["pending"] == 20
    finally:
        await bot.stop()


async def test_a_photo_gone_before_sending_fails_each_recipient_and_the_broadcast_ends(settings, emu, tmp_path):
    photo = tmp_path / "sale.png"
    photo.write_bytes(image(320, 200))
    bot = await Running(bot_settings(settings, emu, rate=200.0)).start()
    try:
        engine = bot.engine
        emu.user(ADMIN, "Admin")
        for uid in range(3000, 3005):
            emu.user(uid, "P")
            engine.users.register(uid)
        report = engine.broadcasts.create("Gone", "all", actor="cli", photo=photo)
        bid = report.broadcast.id
        engine.broadcasts.set_status(bid, "paused")  # (no await since create: the sender has not seen it)
        engine.broadcasts.photo_path(engine.broadcasts.get(bid)).unlink()
        engine.broadcasts.set_status(bid, "queued")
        await eventually(lambda: engine.broadcasts.report(bid).broadcast.status == "done")
        final = engine.broadcasts.report(bid)
        assert final.counts["failed"] == final.total == 5 and final.counts["sending"] == 0
        await eventually(lambda: any(f"Broadcast #{bid}" in (m.text or "") for m in emu.messages(ADMIN)))
    finally:
        await bot.stop()
