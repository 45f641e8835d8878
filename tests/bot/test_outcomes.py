"""An outcome that is not an image arrives as a new message (the user is notified) in their
language: what happened, the credits back, the new balance, Try again (with its price) and
Change prompt; the status message is tidied to one line without buttons. Exactly once: a
notice sent before a crash is not sent again, and the tidy is safe to repeat."""

from __future__ import annotations

from dataclasses import replace

import pytest

from higgsctl.bot.texts import t
from higgsctl.bot.tracking import Target
from higgsctl.engine import GenerationRequest

from .harness import ALICE, Offline, Running, configure, eventually
from .test_e2e import SLOW

CASES = [  # sandbox fault, the status it ends in, what the notice says (en), (ru)
    ("failed", "failed", "failed on the image service's side", "не удалась на стороне сервиса"),
    ("nsfw", "nsfw", "was blocked by the content filter", "заблокировал фильтр контента"),
    ("timeout", "timed_out", "took too long and was stopped", "заняла слишком много времени"),
]


@pytest.fixture
async def quick_timeout(settings, emu, sandbox):
    configured = configure(settings, emu, sandbox)
    bot = await Running(replace(configured, higgsfield=replace(configured.higgsfield, generation_timeout=1.5))).start()
    yield bot
    await bot.stop()


async def start_jobs(bot, user, prompt: str, count: int = 1) -> list:
    """What the confirm button does: a status message, the hold (``create_batch``), and
    ``delivery.launch`` of every generation on that message."""
    engine, lang = bot.engine, user.language_code
    await engine.run_db(engine.users.register, user.id, first_name=user.first_name, language=lang)
    status = await bot.app.bot.send_message(user.chat_id, "⏳")
    generations = await engine.generations.create_batch(GenerationRequest(
        user_id=user.id, model="nano-banana", prompt=prompt, aspect_ratio="1:1", source="bot",
        chat_id=user.chat_id, status_message_id=status.message_id, count=count))
    for generation in generations:
        bot.services.delivery.launch(generation.id, Target(user.chat_id, status.message_id, lang))
    return generations


def status_message(bot, user, generation_id: int = 1):
    message_id = bot.engine.generations.get(generation_id).status_message_id
    return next(m for m in user.messages() if m.message_id == message_id)


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize(("fault", "status", "en", "ru"), CASES)
async def test_a_failure_arrives_as_a_new_message_with_the_credits_back(quick_timeout, emu, lang, fault, status,
                                                                       en, ru):
    bot = quick_timeout
    user = emu.user(ALICE, "Alice", language_code=lang)
    words = {"en": en, "ru": ru}[lang]
    await start_jobs(bot, user, f"[sandbox:{fault}] a fox")
    notice = await user.wait_for_text(words, timeout=20)
    await eventually(lambda: bot.engine.generations.get(1).delivered_at is not None)
    generation = bot.engine.generations.get(1)
    assert (generation.status, generation.charge) == (status, "released")
    assert bot.engine.credits.balance(ALICE) == 10000
    assert notice.text == t(lang, f"st_{status}", id=1, cost=50, balance=10000)  # credits back, the new balance
    status_msg = status_message(bot, user)
    assert notice.message_id > status_msg.message_id  # a new message, not an edit: the user is notified
    assert [b["callback_data"] for b in notice.buttons()] == ["rg:1", "np:1"]
    assert notice.button_texts() == [t(lang, "b_try_again", price=50), t(lang, "b_change_prompt")]
    assert status_msg.text == t(lang, f"tidy_{status}", id=1) and status_msg.buttons() == []
    await bot.services.notifier.tick()  # a sweep sends nothing again
    assert [m.message_id for m in user.messages()][-1] == notice.message_id
    assert sum(1 for m in user.messages() if m.text == notice.text) == 1


async def test_a_cancelled_job_arrives_as_a_new_message_too(settings, emu, sandbox):
    sandbox.options.service_time = SLOW
    bot = await Running(configure(settings, emu, sandbox)).start()
    try:
        alice = emu.user(ALICE, "Алиса", language_code="ru")
        await start_jobs(bot, alice, "a slow fox")
        await alice.wait_for(lambda m: "в очереди" in (m.text or ""), timeout=10)
        await alice.press("c:1")
        notice = await alice.wait_for_text("отменена. 50 кр. вернулись. Баланс: 10000.", timeout=10)
        await eventually(lambda: bot.engine.generations.get(1).delivered_at is not None)
        assert notice.message_id > status_message(bot, alice).message_id
        assert [b["callback_data"] for b in notice.buttons()] == ["rg:1", "np:1"]
        assert status_message(bot, alice).text == t("ru", "tidy_canceled", id=1)
        assert status_message(bot, alice).buttons() == []
    finally:
        await bot.stop()


async def test_a_notice_sent_before_a_crash_is_not_sent_again_but_the_tidy_is_done(settings, emu):
    """The notice reached Telegram (part 0 recorded), the process died before the tidy and
    the claim: the next process only tidies the status message, and a later sweep does nothing."""
    alice = emu.user(ALICE, "Alice")
    async with Offline(configure(settings, emu), emu) as bot:
        engine = bot.engine
        engine.users.register(ALICE, first_name="Alice")
        status = await bot.app.bot.send_message(ALICE, "⏳ Generation #1 is queued…")
        g = engine.generations.rows.hold(ALICE, 50, model="nano-banana", prompt="p", aspect_ratio="1:1",
                                         references=[], source="bot", chat_id=ALICE,
                                         status_message_id=status.message_id, idempotency_key="k")
        engine.generations.finish(g.id, "nsfw", "blocked", error_code="nsfw")
        engine.generations.mark_part_delivered(g.id, 0)  # the notice went; then the crash
        await bot.app.bot_data["higgsctl"].notifier.tick()
        await bot.app.bot_data["higgsctl"].notifier.tick()
        assert engine.generations.get(g.id).delivered_at is not None
    assert [m.message_id for m in alice.messages()] == [status.message_id]  # no second notice
    assert alice.messages()[0].text == t("en", "tidy_nsfw", id=g.id)
