"""The status message becomes the result's photo (one editMessageMedia, Bot API 10.0); where
Telegram refuses that edit (a server that can't add media to a text message, a status
message the user deleted) the photo is sent as a new message and the status message, if it
is still there, says the job is done. Either way one photo and one file, with the buttons."""

from __future__ import annotations

import pytest

from .harness import ALICE, Offline, configure, image


async def finished_with_status(bot, text: str = "🎨 Generation #1 is being generated…") -> tuple[int, int]:
    engine = bot.engine
    engine.users.register(ALICE, first_name="Alice")
    status = await bot.app.bot.send_message(ALICE, text)
    g = engine.generations.rows.hold(ALICE, 50, model="nano-banana", prompt="a fox", aspect_ratio="1:1",
                                     references=[], source="bot", chat_id=ALICE, status_message_id=status.message_id,
                                     idempotency_key="k")
    dest = engine.store.result_path(ALICE, g.id, 0, ".png")
    dest.write_bytes(image())
    engine.generations.finish(g.id, "completed", None, [engine.store.relative(dest)])
    return g.id, status.message_id


async def test_the_status_message_becomes_the_photo_in_one_call(settings, emu):
    alice = emu.user(ALICE, "Alice")
    async with Offline(configure(settings, emu), emu) as bot:
        gid, status_id = await finished_with_status(bot)
        before = len(emu.calls)
        await bot.app.bot_data["higgsctl"].delivery.deliver(gid)
        assert [name for name, _ in emu.calls[before:]] == ["editMessageMedia", "sendDocument"]
    photo, document = alice.messages()
    assert (photo.message_id, photo.kind, document.kind) == (status_id, "photo", "document")
    assert [b["callback_data"] for b in photo.buttons()] == [f"rg:{gid}", f"oa:{gid}", f"ur:{gid}"]
    assert photo.caption.startswith("a fox\n\nNano Banana · 1:1 · #1")


@pytest.mark.parametrize("refusal", ["older server", "deleted"])
async def test_a_refused_edit_sends_the_photo_instead(settings, emu, refusal):
    alice = emu.user(ALICE, "Alice")
    async with Offline(configure(settings, emu), emu) as bot:
        gid, status_id = await finished_with_status(bot)
        if refusal == "older server":
            emu.text_to_media = False
        else:
            await bot.app.bot.delete_message(ALICE, status_id)
        await bot.app.bot_data["higgsctl"].delivery.deliver(gid)
        assert bot.engine.generations.get(gid).delivered_at is not None
    kinds = [m.kind for m in alice.messages()]
    assert kinds.count("photo") == 1 and kinds.count("document") == 1
    photo = next(m for m in alice.messages() if m.kind == "photo")
    assert photo.message_id != status_id and [b["callback_data"] for b in photo.buttons()][0] == f"rg:{gid}"
    if refusal == "older server":
        assert alice.messages()[0].text == f"✅ Generation #{gid} is done."
