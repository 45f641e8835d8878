"""Telegram's webhook mode end to end against the emulator: the bot registers its HTTPS URL
with the secret token, the emulator delivers updates to it (through the test's stand-in for
the HTTPS proxy), a wrong secret is refused and the update redelivered once it is right,
and getUpdates is refused while the webhook is set."""

from dataclasses import replace

import pytest
from telegram.error import Conflict

from tests.ports import free_port

from .harness import Running, configure, eventually

SECRET = "s3cret_Token-42"


@pytest.fixture
async def bot(settings, emu):
    port = free_port()
    s = configure(settings, emu)
    s = replace(s, telegram=replace(s.telegram, mode="webhook", webhook_url="https://bot.example.com:8443/tg/hook",
                                    webhook_listen="127.0.0.1", webhook_port=port, webhook_secret=SECRET))
    emu.webhook_target = f"http://127.0.0.1:{port}"  # the HTTPS proxy in front of the bot
    running = await Running(s).start()
    yield running
    await running.stop()


async def test_updates_arrive_by_webhook_with_the_secret_checked(bot, emu):
    info = await bot.app.bot.get_webhook_info()
    assert info.url == "https://bot.example.com:8443/tg/hook" and info.pending_update_count == 0
    alice = emu.user(42, "Alice")
    await alice.send_text("/start")
    await eventually(lambda: any("Welcome" in (m.text or "") for m in alice.messages()))
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.app.bot.get_updates()

    emu._webhook.secret = "someone-else"  # a forged delivery: the bot refuses it, the update waits
    await alice.send_text("/balance")
    await eventually(lambda: any(status == 403 for _, status in emu._webhook.deliveries))
    info = await bot.app.bot.get_webhook_info()
    assert info.pending_update_count == 1 and "403" in info.last_error_message
    assert not any("Balance" in (m.text or "") or "balance" in (m.text or "") for m in alice.messages()[1:])
    emu._webhook.secret = SECRET  # Telegram's own delivery: taken
    await eventually(lambda: emu.pending_updates() == [])
    await eventually(lambda: len(alice.messages()) >= 2)


async def test_a_webhook_url_that_is_not_https_is_refused_by_telegram(emu, bot):
    from telegram.error import BadRequest

    with pytest.raises(BadRequest, match="(?i)https url must be provided"):
        await bot.app.bot.set_webhook("http://bot.example.com/hook")
    with pytest.raises(BadRequest, match="(?i)unallowed characters"):
        await bot.app.bot.set_webhook("https://bot.example.com/hook", secret_token="no spaces allowed")
