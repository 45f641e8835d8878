"""A crash in the middle of a delivery: the parts of a result that reached the user (photo,
file) are recorded in the database as Telegram accepts them, so the next start sends only
what is missing. The crash is real: `higgsctl bot run` in its own process, SIGKILLed while
Telegram (the emulator) holds its sendDocument, after the photo was accepted."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

from higgsctl.engine import Engine, load_settings

from .harness import ALICE, Offline, configure, eventually, image
from .test_delivery import to_confirm
from .test_robustness import finished

BOT = "import sys; from higgsctl.cli import main; sys.argv = ['higgsctl', 'bot', 'run']; main()"
CONFIG = """\
[telegram]
token = "{token}"
api_base_url = "{emulator}"

[higgsfield]
base_url = "{sandbox}"
api_key = "{key}"
api_secret = "{secret}"
poll_initial = 0.25
poll_max = 0.5
"""


def kinds(user) -> list[str]:
    return [m.kind for m in user.messages() if m.kind in ("photo", "document")]


class BotProcess:
    """`higgsctl bot run` as a child process on the test's HIGGSCTL_HOME."""

    def __init__(self, home) -> None:
        self.log = open(home / "bot-stderr.log", "ab")  # noqa: SIM115 - closed in stop/kill
        self.proc = subprocess.Popen([sys.executable, "-c", BOT], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self.log, env=dict(os.environ))

    async def wait(self, timeout: float = 20.0) -> int:
        return await asyncio.wait_for(asyncio.to_thread(self.proc.wait), timeout)

    async def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        await self.wait()
        self.log.close()

    async def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            await self.wait()
        self.log.close()


async def test_a_bot_killed_between_photo_and_file_sends_only_the_file_after_restart(home, write_config, emu, sandbox):
    options = sandbox.options
    write_config(CONFIG.format(token=emu.token, emulator=emu.url, sandbox=sandbox.base_url,
                               key=options.key_id, secret=options.key_secret))
    alice = emu.user(ALICE, "Alice")
    held = emu.hold_next("sendDocument")  # the first document waits at Telegram's door
    first = BotProcess(home)
    try:
        await alice.send_text("/start")
        await alice.wait_for_text("What would you like to do?", timeout=30)  # the process is up
        await to_confirm(alice)
        await alice.press("go")
        await asyncio.wait_for(held.reached.wait(), 30)
        assert kinds(alice) == ["photo"]  # accepted before the file was sent
    finally:
        await first.kill()  # SIGKILL: no shutdown code runs
    held.release()  # its caller is gone: the emulator never stores that document
    assert first.proc.returncode == -signal.SIGKILL and kinds(alice) == ["photo"]

    engine = Engine(load_settings())
    try:
        left = engine.generations.get(1)
        second = BotProcess(home)
        try:
            await alice.wait_for(lambda m: m.kind == "document", timeout=30, since_last_action=False)
            await eventually(lambda: engine.generations.get(1).delivered_at is not None, timeout=20)
        finally:
            await second.stop()
        assert kinds(alice) == ["photo", "document"]  # exactly one of each, in that order
        assert (left.status, left.charge, left.delivered_at, left.delivered_parts) == ("completed", "captured", None, 1)
        assert engine.generations.get(1).delivered_parts == 2
        assert engine.credits.balance(ALICE) == 9950
    finally:
        engine.close()
    status = next(m for m in alice.messages() if m.message_id == left.status_message_id)
    assert status.kind == "photo"  # the status message became the photo before the kill


async def test_a_new_process_resumes_a_failed_delivery_from_the_database(settings, emu):
    """The same in-process: the file fails after the photo went; a fresh application (nothing
    in memory) sends only the file."""
    configured = configure(settings, emu)
    alice = emu.user(ALICE, "Alice")
    async with Offline(configured, emu) as first:
        first.engine.users.register(ALICE, first_name="Alice")
        gid = finished(first.engine, image(), "k")
        emu.fail_next("sendDocument", error_code=500, description="Internal Server Error")
        await first.app.bot_data["higgsctl"].delivery.deliver(gid)
        assert kinds(alice) == ["photo"] and first.engine.generations.get(gid).delivered_parts == 1
    async with Offline(configured, emu) as second:
        await second.app.bot_data["higgsctl"].notifier.tick()
        generation = second.engine.generations.get(gid)
        assert generation.delivered_at is not None and generation.delivered_parts == 2
        await second.app.bot_data["higgsctl"].notifier.tick()  # nothing left to send
    assert kinds(alice) == ["photo", "document"]


async def test_a_failure_notice_sent_as_a_new_message_is_not_repeated(settings, emu):
    """Without a status message to edit, the outcome goes as a message: recorded as part 0."""
    configured = configure(settings, emu)
    alice = emu.user(ALICE, "Alice")
    async with Offline(configured, emu) as bot:
        engine = bot.engine
        engine.users.register(ALICE, first_name="Alice")
        g = engine.generations.rows.hold(ALICE, 10, model="nano-banana", prompt="p", aspect_ratio="1:1", references=[],
                                source="bot", chat_id=ALICE, status_message_id=None, idempotency_key="k")
        engine.generations.finish(g.id, "failed", "upstream said no")
        engine.generations.mark_part_delivered(g.id, 0)  # as if a crash followed the notice
        await bot.app.bot_data["higgsctl"].notifier.tick()
        assert engine.generations.get(g.id).delivered_at is not None
        assert alice.messages() == []
        engine.generations.mark_part_delivered(g.id, 0)  # never moves backwards
        assert engine.generations.get(g.id).delivered_parts == 1


async def test_when_no_photo_can_carry_the_buttons_the_file_does(settings, emu):
    """Telegram refuses the preview (or Pillow can't make one): the result's caption and its
    Regenerate / Other aspect / Use as reference buttons go under the original file instead
    of nowhere."""
    configured = configure(settings, emu)
    alice = emu.user(ALICE, "Alice")
    async with Offline(configured, emu) as bot:
        bot.engine.users.register(ALICE, first_name="Alice")
        gid = finished(bot.engine, image(), "k")
        emu.fail_next("sendPhoto", error_code=400, description="Bad Request: PHOTO_INVALID_DIMENSIONS")
        await bot.app.bot_data["higgsctl"].delivery.deliver(gid)
    [document] = [m for m in alice.messages() if m.kind == "document"]
    assert kinds(alice) == ["document"]
    assert f"#{gid}" in document.text and "Balance" in document.text, document.text
    assert [b["callback_data"].split(":")[0] for b in document.buttons()] == ["rg", "oa", "ur"]


async def test_history_never_sends_a_result_its_own_delivery_still_owes(settings, emu):
    """A result whose delivery failed and waits to retry is in /history already: its 🖼 button
    says it is on its way, and the retry then delivers it once."""
    configured = configure(settings, emu)
    alice = emu.user(ALICE, "Alice")
    async with Offline(configured, emu) as bot:
        bot.engine.users.register(ALICE, first_name="Alice")
        gid = finished(bot.engine, image(), "k")
        await alice.send_text("/history")
        await bot.feed()
        await alice.press(f"hi:{gid}")
        await bot.feed()
        assert "on its way" in alice.messages()[-1].text and kinds(alice) == []
        await bot.app.bot_data["higgsctl"].notifier.tick()
        assert kinds(alice) == ["photo", "document"]
        await alice.press(f"hi:{gid}")  # delivered: now a re-send is what the user asks for
        await bot.feed()
        assert kinds(alice) == ["photo", "document", "photo", "document"]
