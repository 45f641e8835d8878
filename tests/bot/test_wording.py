"""Small wording and flow faults: /cancel of a job that is generating, the first text of a
status message, a long paste that Telegram split in parts, and engine errors in the user's
language. Real PTB Updates through the real application, the emulator, a real SQLite engine."""

from __future__ import annotations

import ast
import os
import string
from dataclasses import replace
from pathlib import Path

import pytest

import higgsctl.engine
from higgsctl.bot.texts import EN, RU, error_text
from higgsctl.engine import GenerationRequest, HistoryFilter, User

from .harness import ALICE, Offline, configure, image, last_text

IVAN = 7


async def start(bot, user) -> None:
    await user.send_text("/start")
    await bot.feed()


async def create(engine, user_id: int, prompt: str = "a fox", aspect: str = "1:1", refs: tuple[Path, ...] = ()):
    return await engine.generations.create(GenerationRequest(
        user_id=user_id, model="nano-banana", prompt=prompt, aspect_ratio=aspect, references=refs,
        source="bot", chat_id=user_id))


# --- /cancel while a job is generating ------------------------------------------------------

@pytest.mark.parametrize("status", ["in_progress", "downloading"])
@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "is being generated and can no longer be cancelled. If it fails, your 50 credits come back."),
    ("ru", "уже рисуется, отменить её больше нельзя. Если она не удастся, 50 кр. вернутся."),
])
async def test_cancel_while_generating_says_it_can_no_longer_be_cancelled(bot, emu, status, lang,
                                                                         expected):
    user = emu.user(IVAN, "Ivan", language_code=lang)
    await start(bot, user)
    generation = await create(bot.engine, IVAN)
    bot.engine.generations.update(generation.id, status=status)
    await user.send_text("/cancel")
    await bot.feed()
    assert f"#{generation.id} {expected}" in last_text(user)
    assert bot.engine.generations.get(generation.id).status == status  # nothing was cancelled


# --- the first text of a status message ----------------------------------------------------

async def test_a_repeated_generation_status_message_never_shows_a_placeholder(bot, emu):
    alice = emu.user(ALICE, "Alice")
    await start(bot, alice)
    source = await create(bot.engine, ALICE, "a fox", "16:9")
    path = bot.engine.store.result_path(ALICE, source.id, 0, ".png")
    path.write_bytes(image())
    bot.engine.generations.finish(source.id, "completed", files=[bot.engine.store.relative(path)])
    User.update(confirm_repeats=False).where(User.id == ALICE).execute()  # the status of a repeat run at once
    before = {m.message_id for m in alice.messages()}
    for data in (f"rg:{source.id}", f"oa:{source.id}", f"ra:{source.id}:9:16"):
        emu.messages(ALICE)[-1].reply_markup = {"inline_keyboard": [[{"text": "b", "callback_data": data}]]}
        await alice.press(data)
        await bot.feed()
    statuses = [m for m in alice.messages() if m.message_id not in before or m.history]
    texts = [text for m in statuses for text in [*m.history, m.text] if text]
    assert not any("#…" in text for text in texts), texts
    starting = [text for text in texts if text.startswith("⏳ Starting a new generation")]
    assert starting == [f"⏳ Starting a new generation like #{source.id}: Nano Banana · 16:9…",
                        f"⏳ Starting a new generation like #{source.id}: Nano Banana · 9:16…"]


# --- a paste Telegram split into several messages ------------------------------------------

def words(length: int, seed: str = "fox") -> str:
    text = (f"{seed} in the snow " * (length // 10 + 1))[:length]
    return text[:-1] + "x"  # no trailing space: the length stays exact after normalising


@pytest.mark.parametrize("parts", [[4096, 904], [4096, 4096, 100], [2001], [4096, 1]])
async def test_an_over_long_paste_in_parts_is_refused_as_a_whole(bot, emu, parts):
    alice = emu.user(ALICE, "Alice")
    await start(bot, alice)
    for action in ("g", "m:nano-banana"):
        await alice.press(action)
        await bot.feed()
    before = len(alice.messages())
    for size in parts:
        await alice.send_text(words(size))
    await bot.feed(concurrently=True)
    replies = [m.text for m in alice.messages()[before:]]
    total = len(" ".join("".join(words(size) for size in parts).split()))
    assert replies == [f"The prompt is {total} characters long; the limit is 2000. Please shorten it."]
    await alice.send_text("a short fox")  # the wizard still waits for the prompt
    await bot.feed()
    assert "Send up to 8 reference photos" in last_text(alice)
    assert bot.engine.credits.balance(ALICE) == 10000


async def test_a_paste_in_parts_within_the_limit_is_one_prompt(bot, emu):
    alice = emu.user(ALICE, "Alice")  # (a client may cut a long text early, at a paragraph)
    await start(bot, alice)
    for action in ("g", "m:nano-banana"):
        await alice.press(action)
        await bot.feed()
    first, second = words(1500, "fox"), words(400, "cat")
    await alice.send_text(first)
    await alice.send_text(second)
    await bot.feed(concurrently=True)
    for action in ("sk", "a:1:1"):
        await alice.press(action)
        await bot.feed()
    assert f"Prompt: {first[:100]}" in last_text(alice)  # the card shows its start
    await alice.press("go")
    await bot.feed()
    assert bot.engine.history.list(HistoryFilter(user_id=ALICE))[0].prompt == f"{first}{second}"


async def test_texts_apart_are_not_joined(bot, emu):
    alice = emu.user(ALICE, "Alice")
    await start(bot, alice)
    for action in ("g", "m:nano-banana"):
        await alice.press(action)
        await bot.feed()
    await alice.send_text("a fox")
    await bot.feed()  # the bot answers in between: the ids are no longer consecutive
    await alice.send_text("in the snow")
    await bot.feed()
    texts = [m.text or "" for m in alice.messages()]
    assert any("Send up to 8 reference photos" in text for text in texts)  # the wizard's prompt was "a fox" alone
    assert "Prompt: in the snow" in last_text(alice)  # and the second text is a prompt of its own


def test_a_short_text_is_taken_at_once_a_long_part_waits_for_the_rest():
    """A prompt (almost always short) must not wait the whole album delay; a part as long as
    Telegram's split size is followed by more, so it waits."""
    from datetime import datetime, timezone

    from telegram import Chat, Message

    from higgsctl.bot.handlers.pastes import Paste, _quiet_time

    chat = Chat(1, "private")
    when = datetime(2026, 1, 1, tzinfo=timezone.utc)
    head, tail = (Message(i, when, chat, text=words(n)) for i, n in ((10, 4096), (11, 904)))
    assert _quiet_time(Paste([head]), album_delay=1.0) == 1.0
    assert _quiet_time(Paste([tail, head]), album_delay=1.0) < 0.5  # the tail came: the paste is whole
    assert _quiet_time(Paste([Message(12, when, chat, text="a cat in a hat")]), album_delay=1.0) < 0.5


# --- engine errors in the user's language --------------------------------------------------

NOT_ERROR_PARAMS = {"hint", "code", "status_code", "correlation_id"}


def raised_codes() -> dict[str, set[str]]:
    """Every error code the engine can raise, with the params it passes: the ``code=`` of
    each raise and each class's ``default_code``."""
    root = Path(higgsctl.engine.__file__).parent
    codes: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                keywords = {k.arg: k.value for k in node.keywords if k.arg}
                code = keywords.get("code")
                if isinstance(code, ast.Constant) and isinstance(code.value, str):
                    codes.setdefault(code.value, set()).update(set(keywords) - NOT_ERROR_PARAMS)
            elif isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["default_code"]:
                codes.setdefault(node.value.value, set())
    return codes


def test_every_engine_error_code_has_an_english_and_a_russian_text():
    codes = raised_codes()
    assert {"prompt_too_long", "unknown_model", "user_blocked", "insufficient_credits", "error"} <= codes.keys()
    for code, params in codes.items():
        for table in (EN, RU):
            template = table.get(f"err_{code}")
            assert template is not None, f"no text for error code {code!r}"
            used = {name for _, name, _, _ in string.Formatter().parse(template) if name}
            assert used <= params, (code, used - params)
        assert any("а" <= ch <= "я" for ch in RU[f"err_{code}"].lower()), code
        values = {name: 1 for name in params}
        assert error_text("ru", code, values) == RU[f"err_{code}"].format(**values)
    assert error_text("ru", "no-such-code", {}) == RU["err_error"]


def stored_reference(bot, content: bytes | None) -> None:
    """Replace the stored copy of generation 1's reference photo (None: delete it)."""
    path = bot.engine.store.locate(bot.engine.generations.get(1).references[0])
    if content is None:
        path.unlink()
    else:
        path.write_bytes(content)


def repeats_at_once(bot) -> None:
    """Regenerate spends without a card first (a card would say what it leaves out)."""
    User.update(confirm_repeats=False).where(User.id == IVAN).execute()


def limits(**changes):
    return lambda s: replace(s, limits=replace(s.limits, **changes))


def nano(**changes):
    return lambda s: replace(s, models={k: replace(v, **changes) if k == "nano-banana" else v
                                        for k, v in s.models.items()})


# code: (generation prompt, aspect, references, what changed before the press, Russian text, English message)
RUSSIAN_ERRORS = {
    "prompt_too_long": ("a fox in the snow", "1:1", 0, limits(max_prompt_chars=5), None,
                        "В промпте 17 символов, максимум 5.", "characters long"),
    "unknown_model": ("a fox", "1:1", 0, lambda s: replace(s, models={k: v for k, v in s.models.items()
                                                                      if k != "nano-banana"}), None,
                      "Модель nano-banana больше недоступна.", "Unknown model"),
    "aspect_unsupported": ("a fox", "16:9", 0, nano(aspect_ratios=("1:1",)), None,
                           "Nano Banana не поддерживает формат 16:9 (доступны: 1:1).", "does not offer"),
    "too_many_references": ("a fox", "1:1", 2, nano(max_references=1), repeats_at_once,  # (a card says it, sends 1)
                            "Nano Banana принимает не больше 1 референсов, а здесь 2.", "takes at most"),
    "reference_missing": ("a fox", "1:1", 1, None, lambda bot: stored_reference(bot, None),
                          "больше не хранится", "does not exist"),
    "reference_not_image": ("a fox", "1:1", 1, None, lambda bot: stored_reference(bot, image(fmt="BMP")),
                            "— не картинка.", "is not an image"),
    "reference_damaged": ("a fox", "1:1", 1, None, lambda bot: stored_reference(bot, image()[:80]),
                          "повреждён или неполон.", "damaged or incomplete"),
    "reference_too_many_pixels": ("a fox", "1:1", 1, limits(max_reference_megapixels=0), None,
                                  "слишком много пикселей, максимум 0 мегапикселей.", "megapixels"),
    "reference_too_big": ("a fox", "1:1", 1, limits(max_reference_mb=1),
                          lambda bot: stored_reference(bot, os.urandom(1_600_000)),
                          ": 1.5 МБ, максимум 1 МБ.", "the limit is"),
}


@pytest.mark.parametrize("code", list(RUSSIAN_ERRORS))
async def test_a_russian_user_sees_engine_errors_in_russian(settings, emu, tmp_path, code):
    prompt, aspect, refs, change, damage, russian, english = RUSSIAN_ERRORS[code]
    configured = configure(settings, emu)
    ivan = emu.user(IVAN, "Иван", language_code="ru")
    async with Offline(configured, emu) as bot:  # Ivan's finished generation #1
        await start(bot, ivan)
        photos = []
        for i in range(refs):
            photos.append(tmp_path / f"ref{i}.png")
            photos[-1].write_bytes(image(color=(i, i, i)))
        generation = await create(bot.engine, IVAN, prompt, aspect, tuple(photos))
        bot.engine.generations.finish(generation.id, "completed", files=[])
        if damage:
            damage(bot)
    async with Offline((change or (lambda s: s))(configured), emu) as bot:  # then something changed
        emu.messages(IVAN)[-1].reply_markup = {"inline_keyboard": [[{"text": "b", "callback_data": "rg:1"}]]}
        await ivan.press("rg:1")
        await bot.feed()
        if any(b.startswith("✅") for b in ivan.messages()[-1].button_texts()):  # the price, asked first
            await ivan.press("go")
            await bot.feed()
        text = last_text(ivan)
        assert text.startswith("Не могу запустить: ") and russian in text and text.endswith("Ничего не списано.")
        assert english not in text
        assert bot.engine.history.count(HistoryFilter(user_id=IVAN)) == 1
        assert bot.engine.credits.balance(IVAN) == bot.settings.credits.initial - 50


# --- the error notice speaks the language the user chose -------------------------------------

@pytest.mark.parametrize("app_language", ["en", "ru", None, "de"])
@pytest.mark.parametrize("chosen", ["en", "ru"])
async def test_the_error_notice_is_in_the_language_the_user_chose(bot, emu, app_language, chosen):
    user = emu.user(IVAN, "Иван", language_code=app_language)
    await start(bot, user)
    await user.send_text("/lang")
    await bot.feed()
    await user.press(f"lg:{chosen}")
    await bot.feed()
    emu.fail_next("sendMessage", error_code=500, description="Internal Server Error: boom")
    await user.send_text("/balance")
    await bot.feed()
    assert last_text(user) == {"en": EN, "ru": RU}[chosen]["error"]
