"""The status message tells the truth in the user's language: the service is unreachable, the
finished image's download is being retried, or (at the end) why a job failed. Real faults from
the sandbox, the real bot against the Telegram emulator."""

from __future__ import annotations

import pytest

from higgsctl.bot.texts import EN, RU, outcome_key, progress_key, t
from higgsctl.engine import Generation, events

from .harness import ALICE, Running, configure, eventually

WAITING_CODES = [getattr(events, name) for name in ("LOCAL_SLOT", "ACCOUNT_BUSY", "SERVICE_UNREACHABLE",
                                                    "DOWNLOAD_RETRY", "STORAGE_RETRY")]


@pytest.fixture
async def bot(settings, emu, sandbox):
    running = await Running(configure(settings, emu, sandbox)).start()
    yield running
    await running.stop()


def test_every_waiting_code_has_its_own_line_in_both_languages():
    for status in ("pending", "queued", "in_progress", "downloading"):
        plain = progress_key(status, None)
        assert plain == f"st_{status}"
        for code in WAITING_CODES:
            key = progress_key(status, code)
            assert key in EN and key in RU
            if code not in (events.LOCAL_SLOT, events.ACCOUNT_BUSY):  # those wait for a slot: st_pending_wait
                assert key != plain and t("ru", key, id=1) != t("en", key, id=1)
    assert progress_key("queued", events.SERVICE_UNREACHABLE) != progress_key("downloading", events.DOWNLOAD_RETRY)
    assert outcome_key("failed", "service_credits") == "st_failed_service_credits"
    assert outcome_key("failed", "some_future_code") == outcome_key("failed", None) == "st_failed"
    assert outcome_key("timed_out", "result_deadline") == "st_timed_out_result_deadline"


async def press_prefix(user, prefix: str) -> None:
    """Press the newest button whose callback data starts with ``prefix`` (it may carry an id)."""
    await eventually(lambda: any(b.get("callback_data", "").startswith(prefix)
                                 for m in user.messages() for b in m.buttons()))
    for message in reversed(user.messages()):
        for button in message.buttons():
            if button.get("callback_data", "").startswith(prefix):
                await user.press(button["callback_data"])
                return


async def generate(user) -> None:
    await user.send_text("/start")
    await press_prefix(user, "g")
    await press_prefix(user, "m:nano-banana")
    await user.wait_for(lambda m: True)
    await user.send_text("a fox")
    await press_prefix(user, "sk")
    await press_prefix(user, "a:1:1")
    await press_prefix(user, "go")


def submitted() -> bool:
    generation = Generation.get_or_none(Generation.id == 1)
    return generation is not None and generation.request_id is not None


def status_text(bot, user) -> str:
    generation = bot.engine.generations.get(1)
    return next(m.text for m in user.messages() if m.message_id == generation.status_message_id)


@pytest.mark.parametrize("lang, fault", [("ru", "result 503s"), ("en", "outage")])
async def test_the_status_message_names_the_fault_and_the_result_still_arrives_once(bot, emu, sandbox, lang, fault):
    user = emu.user(ALICE, "Alice", language_code=lang)
    if fault == "outage":
        sandbox.options.service_time = 60.0
    else:
        sandbox.options.result_failures = 10**9
    await generate(user)
    await eventually(submitted)
    if fault == "outage":
        await sandbox.go_offline()
    key = "st_service_unreachable" if fault == "outage" else "st_download_retry"
    await eventually(lambda: status_text(bot, user) == t(lang, key, id=1), timeout=20)
    assert bot.engine.generations.get(1).charge == "held"
    if fault == "outage":
        await sandbox.go_online()
        sandbox.complete_now(bot.engine.generations.get(1).request_id)
    else:
        sandbox.options.result_failures = 0
    await user.wait_for(lambda m: m.kind == "document", timeout=20, since_last_action=False)
    await eventually(lambda: bot.engine.generations.get(1).delivered_at is not None)
    generation = bot.engine.generations.get(1)
    assert (generation.status, generation.charge) == ("completed", "captured")
    assert bot.engine.credits.balance(ALICE) == 9950 and bot.engine.credits.discrepancies() == []
    assert [m.kind for m in user.messages()].count("photo") == 1


async def test_an_empty_service_account_is_named_in_the_failure_text(bot, emu, sandbox):
    ivan = emu.user(ALICE, "Иван", language_code="ru")
    sandbox.options.fault = "credits"  # the operator's Higgsfield account: 403 on submit
    await generate(ivan)
    await eventually(lambda: Generation.get_or_none(Generation.id == 1) is not None)
    await eventually(lambda: bot.engine.generations.get(1).delivered_at is not None)
    generation = bot.engine.generations.get(1)
    assert (generation.status, generation.charge, generation.error_code) == ("failed", "released", "service_credits")
    notice = ivan.messages()[-1]  # a new message; the status message says where to look
    assert notice.text == t("ru", "st_failed_service_credits", id=1, cost=50, balance=10000)
    assert "закончились кредиты" in notice.text
    assert status_text(bot, ivan) == t("ru", "tidy_failed", id=1)
