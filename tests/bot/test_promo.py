"""Promo codes in the bot: /promo CODE and the t.me deep link, in the user's language; each
refusal says why and moves no credit; a code sent twice is credited once."""

import pytest

from .harness import Offline, configure, last_text


@pytest.fixture
async def bot(settings, emu):
    async with Offline(configure(settings, emu), emu) as offline:
        offline.engine.promos.create("SPRING-25", 300, 2, actor="cli:test")
        yield offline


async def say(bot, user, text: str) -> str:
    await user.send_text(text)
    await bot.feed()
    return last_text(user)


async def test_promo_command_credits_once_in_either_language(bot, emu):
    alice, ivan = emu.user(1, "Alice"), emu.user(2, "Иван", language_code="ru")
    assert await say(bot, alice, "/promo spring-25") == "🎁 Code SPRING-25: +300 credits. Balance: 10300."
    assert await say(bot, alice, "/promo SPRING-25") == "You have already used the code SPRING-25."
    assert await say(bot, ivan, "/promo Spring-25") == "🎁 Код SPRING-25: +300 кредитов. Баланс: 10300."
    bob = emu.user(3, "Bob")
    assert await say(bot, bob, "/promo SPRING-25") == "The code SPRING-25 has been used up."
    assert bot.engine.credits.balance(3) == 10000 and bot.engine.credits.discrepancies() == []


async def test_the_deep_link_redeems_and_a_plain_start_still_shows_the_menu(bot, emu):
    alice = emu.user(1, "Alice")
    assert "+300 credits" in await say(bot, alice, "/start promo-spring-25")
    assert "Welcome" in await say(bot, emu.user(2, "Bob"), "/start")
    assert "no promo code NOPE" in await say(bot, emu.user(3, "Carol"), "/start promo-NOPE")


@pytest.mark.parametrize("text, expected", [
    ("/promo", "Send /promo followed by your code"),
    ("/promo <b>x</b>", "doesn't look like a promo code"),
    ("/promo a", "doesn't look like a promo code"),
    ("/promo " + "Z" * 200, "doesn't look like a promo code"),
    ("/promo ПРОМО", "doesn't look like a promo code"),
    ("/promo NOPE", "There is no promo code NOPE"),
])
async def test_hostile_or_wrong_codes_get_a_clear_answer_and_no_credits(bot, emu, text, expected):
    alice = emu.user(1, "Alice")
    assert expected in await say(bot, alice, text)
    assert bot.engine.credits.balance(1) == 10000


async def test_a_code_sent_twice_at_once_credits_once(bot, emu):
    alice = emu.user(1, "Alice")
    await alice.send_text("/promo SPRING-25")
    await alice.send_text("/promo SPRING-25")
    await bot.feed(concurrently=True)
    texts = sorted(m.text for m in alice.messages())
    assert texts == ["You have already used the code SPRING-25.", "🎁 Code SPRING-25: +300 credits. Balance: 10300."]
    assert bot.engine.credits.balance(1) == 10300


async def test_guessing_codes_is_slowed_down_but_a_real_code_still_works_later(bot, emu):
    ivan = emu.user(2, "Иван", language_code="ru")
    for guess in ("AAA1", "AAA2", "AAA3", "AAA4", "AAA5"):
        assert "нет" in await say(bot, ivan, f"/promo {guess}")
    assert "Попробуйте снова через 10 мин." in await say(bot, ivan, "/promo SPRING-25")  # not even tried
    assert bot.engine.credits.balance(2) == 10000
    bot.app.user_data[2]["promo_misses"].clear()  # (ten minutes later)
    assert "+300" in await say(bot, ivan, "/promo SPRING-25")
