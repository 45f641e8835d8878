"""A request for several images (one generation row each, sharing ``batch``) is delivered
together once every image has ended: an album of photos (the caption on its first), an album
of the original files, the images that could not be made named in one notice; its status
message shows how many are ready meanwhile and ends with the result buttons. Exactly once,
part by part, across a restart."""

from __future__ import annotations

from collections import Counter

import pytest

from higgsctl.bot.texts import t

from .harness import ALICE, Offline, Running, configure, eventually, image
from .test_e2e import SLOW
from .test_outcomes import start_jobs


@pytest.fixture
async def slow_bot(settings, emu, sandbox):
    """The bot as it runs, on a sandbox that keeps every request queued until told."""
    sandbox.options.service_time = SLOW
    bot = await Running(configure(settings, emu, sandbox)).start()
    yield bot
    await bot.stop()


def albums(user, kind: str) -> list[list]:
    """The user's messages of ``kind`` grouped by album (a single message is its own group)."""
    groups: dict = {}
    for m in user.messages():
        if m.kind == kind:
            groups.setdefault(m.media_group_id or f"single-{m.message_id}", []).append(m)
    return list(groups.values())


def finished_batch(engine, statuses: list[str], status_message_id: int | None) -> list[int]:
    """A batch of bot jobs that ended as ``statuses`` (completed ones with a result file)."""
    rows = engine.generations.rows.hold_batch(
        ALICE, 50, len(statuses), model="nano-banana", prompt="three foxes", aspect_ratio="1:1", references=[],
        source="bot", chat_id=ALICE, status_message_id=status_message_id)
    for row, status in zip(rows, statuses):
        if status == "completed":
            dest = engine.store.result_path(ALICE, row.id, 0, ".png")
            dest.write_bytes(image(color=(row.id * 40, 10, 10)))
            engine.generations.finish(row.id, status, None, [engine.store.relative(dest)])
        else:
            engine.generations.finish(row.id, status, "no", error_code=status)
    return [row.id for row in rows]


async def test_three_images_arrive_as_two_albums_charged_three_times_the_price(slow_bot, emu, sandbox):
    bot = slow_bot
    alice = emu.user(ALICE, "Alice")
    generations = await start_jobs(bot, alice, "three foxes in the snow", count=3)
    ids = [g.id for g in generations]
    assert bot.engine.credits.balance(ALICE) == 10000 - 3 * 50  # held at once
    await eventually(lambda: all(bot.engine.generations.get(i).request_id for i in ids), timeout=20)
    for gid in ids[:2]:  # two finish long before the third
        sandbox.complete_now(bot.engine.generations.get(gid).request_id)
    status_id = generations[0].status_message_id
    await alice.wait_for(lambda m: m.message_id == status_id and "2 of 3 ready" in (m.text or ""),
                         timeout=20, since_last_action=False)
    assert not [m for m in alice.messages() if m.kind in ("photo", "document")]  # nothing until all end
    sandbox.complete_now(bot.engine.generations.get(ids[2]).request_id)
    await eventually(lambda: all(bot.engine.generations.get(i).delivered_at for i in ids), timeout=20)
    [photos], [files] = albums(alice, "photo"), albums(alice, "document")
    assert len(photos) == 3 and len(files) == 3 and photos[0].media_group_id != files[0].media_group_id
    assert photos[0].caption.startswith("three foxes in the snow\n\n")
    assert "#1, #2, #3" in photos[0].caption and "Cost: 150 credits · Balance: 9850" in photos[0].caption
    assert [m.caption for m in photos[1:]] == [None, None]
    assert sorted(m.file_name for m in files) == [f"higgsfield-{i}-1.png" for i in ids]
    status = next(m for m in alice.messages() if m.message_id == status_id)
    assert status.text == t("en", "batch_done", first=1, last=3, ready=3, count=3)
    assert [b["callback_data"] for b in status.buttons()] == ["rg:1", "oa:1", "ur:1"]
    assert bot.engine.credits.balance(ALICE) == 9850 and bot.engine.credits.discrepancies() == []
    await bot.services.notifier.tick()  # nothing is sent twice
    assert Counter(m.kind for m in alice.messages()) == {"photo": 3, "document": 3, "text": 1}


async def test_a_restart_between_the_albums_sends_only_the_files(settings, emu):
    configured = configure(settings, emu)
    alice = emu.user(ALICE, "Alice")
    async with Offline(configured, emu) as first:
        first.engine.users.register(ALICE, first_name="Alice")
        status = await first.app.bot.send_message(ALICE, "⏳")
        ids = finished_batch(first.engine, ["completed"] * 3, status.message_id)
        emu.fail_next("sendMediaGroup", error_code=500, description="Internal Server Error", after=1)
        await first.app.bot_data["higgsctl"].delivery.deliver(ids[1])  # any image of the batch delivers it
        lead = first.engine.generations.get(ids[0])
        assert (lead.delivered_parts, lead.delivered_at) == (1, None)  # the photos arrived, the files did not
        assert [len(a) for a in albums(alice, "photo")] == [3] and albums(alice, "document") == []
    async with Offline(configured, emu) as second:
        await second.app.bot_data["higgsctl"].notifier.tick()
        await second.app.bot_data["higgsctl"].notifier.tick()
        assert all(second.engine.generations.get(i).delivered_at for i in ids)
    assert [len(a) for a in albums(alice, "photo")] == [3]  # not sent again
    assert [len(a) for a in albums(alice, "document")] == [3]


async def test_an_image_that_could_not_be_made_is_named_with_its_credits_back(settings, emu):
    async with Offline(configure(settings, emu), emu) as bot:
        alice = emu.user(ALICE, "Алиса", language_code="ru")
        bot.engine.users.register(ALICE, first_name="Алиса", language="ru")
        status = await bot.app.bot.send_message(ALICE, "⏳")
        ids = finished_batch(bot.engine, ["completed", "nsfw", "completed"], status.message_id)
        await bot.app.bot_data["higgsctl"].delivery.deliver(ids[2])
        assert all(bot.engine.generations.get(i).delivered_at for i in ids)
        assert bot.engine.credits.balance(ALICE) == 10000 - 2 * 50
    [photos] = albums(alice, "photo")
    assert len(photos) == 2 and f"#{ids[0]}, #{ids[2]}" in photos[0].caption
    notice = alice.messages()[-1]
    assert notice.text == t("ru", "batch_failed", failed=1, count=3, lines=t("ru", "why_nsfw", id=ids[1]),
                            refund=50, balance=9900)
    assert [b["callback_data"] for b in notice.buttons()] == [f"rg:{ids[1]}", f"np:{ids[1]}"]
    status_now = next(m for m in alice.messages() if m.message_id == status.message_id)
    assert status_now.text == t("ru", "batch_done", first=ids[0], last=ids[2], ready=2, count=3)


async def test_one_image_of_a_batch_becomes_the_status_message(settings, emu):
    """Only one image was made: no album (Telegram needs two); the status message becomes it."""
    async with Offline(configure(settings, emu), emu) as bot:
        alice = emu.user(ALICE, "Alice")
        bot.engine.users.register(ALICE, first_name="Alice")
        status = await bot.app.bot.send_message(ALICE, "⏳")
        ids = finished_batch(bot.engine, ["failed", "completed"], status.message_id)
        await bot.app.bot_data["higgsctl"].delivery.deliver(ids[0])
        assert all(bot.engine.generations.get(i).delivered_at for i in ids)
    kinds = [(m.message_id, m.kind) for m in alice.messages()]
    assert kinds[0] == (status.message_id, "photo") and [k for _, k in kinds] == ["photo", "document", "text"]
    assert "could not be made" in alice.messages()[-1].text


async def test_cancel_on_a_batch_cancels_every_image_not_started(slow_bot, emu, sandbox):
    bot = slow_bot
    alice = emu.user(ALICE, "Alice")
    generations = await start_jobs(bot, alice, "three slow foxes", count=3)
    status_id = generations[0].status_message_id
    status = await alice.wait_for(lambda m: m.message_id == status_id and "is queued" in (m.text or ""),
                                  timeout=20, since_last_action=False)
    await alice.press(status.buttons()[0]["callback_data"], message_id=status_id)
    ids = [g.id for g in generations]
    await eventually(lambda: all(bot.engine.generations.get(i).delivered_at for i in ids), timeout=20)
    assert {bot.engine.generations.get(i).status for i in ids} == {"canceled"}
    assert bot.engine.credits.balance(ALICE) == 10000
    notice = alice.messages()[-1]
    assert notice.text.startswith("3 of 3 images could not be made") and "150 credits are back" in notice.text
    assert next(m for m in alice.messages() if m.message_id == status_id).text == t(
        "en", "batch_none", first=ids[0], last=ids[2], ready=0, count=3)
