"""The confirm card: one message showing what a draft will make (model, aspect, references,
count, style, the model's options, the prompt), its price and the balance, with Generate
(its callback names the draft) and buttons to change the rest. Every way of starting ends
here: typed text, /imagine, a captioned photo, a reply to a result, the wizard's last step,
a repeat that asks before it spends.

A balance below one image's price is caught when the user starts, before any prompt or
photo is asked for."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from telegram import Message, MessageEntity, Update

from higgsctl.engine import Draft, Generation, ModelSpec, NotFound
from higgsctl.engine.drafts import OPEN
from higgsctl.engine.requests import MAX_COUNT

from .. import keyboards
from ..services import db, db_read
from ..texts import LANGUAGES, t
from .ids import row_id
from .replies import reply
from .who import Who

PROMPT_SHOWN = 600  # characters of the prompt the card shows; the whole prompt is generated


def clean_prompt(who: Who, text: str) -> tuple[str | None, str | None]:
    """(prompt, None) or (None, why not in the user's words)."""
    prompt = " ".join(text.split())
    limit = who.services.settings.limits.max_prompt_chars
    if not prompt:
        return None, t(who.lang, "prompt_empty")
    if len(prompt) > limit:
        return None, t(who.lang, "prompt_too_long", length=len(prompt), limit=limit)
    return prompt, None


def cheapest(who: Who) -> int:
    return min(spec.price for spec in who.services.settings.models.values())


async def affordable(who: Who, bot, chat_id: int, price: int) -> bool:
    """True when the balance covers ``price``; otherwise say so, with the ways to get credits."""
    if who.balance >= price:  # read as this update arrived
        return True
    await bot.send_message(chat_id, t(who.lang, "start_low_balance", price=price, balance=who.balance),
                           reply_markup=keyboards.low_balance(who.lang, who.services.settings.payments))
    return False


async def starting_point(who: Who, model: str | None = None, aspect: str | None = None, *,
                         with_refs: bool = False) -> tuple[ModelSpec, str]:
    """The model and aspect a new draft starts with: those given, else the user's usual ones
    (engine.preferences: the /settings defaults, else the last used, else the catalog's
    first). ``with_refs``: a model that takes reference photos, where the catalog has one."""
    models = who.services.settings.models
    usual_model, usual_aspect = await db_read(who.services.engine.preferences.starting_point, who.id)
    if with_refs and any(spec.max_references for spec in models.values()):
        models = {key: spec for key, spec in models.items() if spec.max_references}
    spec = models[next((k for k in (model, usual_model) if k in models), next(iter(models)))]
    return spec, next((r for r in (aspect, usual_aspect) if r in spec.aspect_ratios), fitting_aspect(spec))


async def open_card(who: Who, bot, chat_id: int, prompt: str, *, refs: list[Path] = (), model: str | None = None,
                    aspect: str | None = None, **fields) -> Draft | None:
    """A new draft at its confirm step and its card, if the balance covers one image."""
    spec, ratio = await starting_point(who, model, aspect, with_refs=bool(refs))
    if not await affordable(who, bot, chat_id, spec.price):
        return None
    draft = await who.services.drafts.start(who.id, refs=list(refs)[: spec.max_references], step="confirm",
                                            model=spec.key, aspect=ratio, prompt=prompt, **fields)
    return await show(who, draft, bot=bot, chat_id=chat_id)


def text(who: Who, draft: Draft, balance: int) -> str:
    settings, lang = who.services.settings, who.lang
    spec = settings.models[draft.model]
    style = settings.styles[draft.style].label(lang) if draft.style in settings.styles else t(lang, "card_no_style")
    options = "".join(t(lang, "card_option", name=name, value=value)
                      for name, value in spec.option_values(valid_options(spec, draft)).items())
    prompt = draft.prompt if len(draft.prompt) <= PROMPT_SHOWN else draft.prompt[:PROMPT_SHOWN - 1] + "…"
    if draft.count == 1:
        price = t(lang, "card_price_one", price=spec.price, balance=balance)
    else:
        price = t(lang, "card_price_many", total=spec.price * draft.count, count=draft.count, price=spec.price,
                  balance=balance)
    if balance < spec.price * draft.count:
        price += "\n" + t(lang, "card_low")
    if note := photos_left_out(lang, spec, draft):  # said plainly before anything is spent
        price += "\n" + note
    return t(lang, "card", label=spec.label, aspect=draft.aspect, refs=min(len(draft.references), spec.max_references),
             count=draft.count, style=style, options=options, prompt=prompt, price=price)


def photos_left_out(lang: str, spec: ModelSpec, draft: Draft) -> str | None:
    """What the card says when the model does not send all the draft's reference photos
    (they stay in the draft, for a model that takes them)."""
    photos, sent = len(draft.references), min(len(draft.references), spec.max_references)
    if sent == photos:
        return None
    return t(lang, "card_refs_some" if sent else "card_refs_unused", label=spec.label, max=spec.max_references,
             count=photos)


def sent_refs(who: Who, draft: Draft) -> list[Path]:
    """The draft's reference photos its model takes (the card says when it leaves some out)."""
    spec, paths = who.services.settings.models.get(draft.model), who.services.drafts.paths(draft)
    return paths[: spec.max_references] if spec is not None else paths  # (a gone model: the engine refuses it)


def photos_model(who: Who, draft: Draft) -> ModelSpec | None:
    """When the draft's model leaves out some of its reference photos: the catalog's model that
    takes them all (else the one that takes most), offered on the card."""
    models, photos = who.services.settings.models, len(draft.references)
    current = models[draft.model].max_references
    takers = [spec for spec in models.values() if spec.max_references > current]
    if photos <= current or not takers:
        return None
    return next((s for s in takers if s.max_references >= photos), max(takers, key=lambda s: s.max_references))


def valid_options(spec: ModelSpec, draft: Draft) -> dict[str, str]:
    """The draft's options this model takes (a model changed since drops the others)."""
    return {k: v for k, v in (draft.options or {}).items() if v in spec.options.get(k, ())}


def markup(who: Who, draft: Draft) -> keyboards.Markup:
    settings = who.services.settings
    spec = settings.models[draft.model]
    return keyboards.card(who.lang, draft.id, total=spec.price * draft.count, count=draft.count, spec=spec,
                          options=spec.option_values(valid_options(spec, draft)), styles=bool(settings.styles),
                          max_count=MAX_COUNT, photos_model=photos_model(who, draft))


async def show(who: Who, draft: Draft, *, update: Update | None = None, bot=None, chat_id: int | None = None) -> Draft | None:
    """Draw the card (editing the pressed message when ``update`` is a button press, else a
    new message in ``chat_id``) and make it the draft's card: the draft is at its confirm
    step from now on. None when the draft moved on meanwhile (confirmed by another tap)."""
    if draft.model not in who.services.settings.models:  # the catalog changed since it was made
        spec, aspect = await starting_point(who, aspect=draft.aspect, with_refs=bool(draft.references))
        draft = await who.services.drafts.change(who.id, draft, OPEN, model=spec.key, aspect=aspect)
        if draft is None:
            return None
    balance = await db_read(who.services.engine.credits.balance, who.id)
    body, keys = text(who, draft, balance), markup(who, draft)
    if update is not None:
        card = await reply(update, body, keys)
    else:
        card = (await bot.send_message(chat_id, body, reply_markup=keys)).message_id
    return await who.services.drafts.change(who.id, draft, OPEN, step="confirm", card=card)


def stale_price(query, total: int) -> bool:
    """Whether the pressed Generate button named another price than ``total`` (the user
    changed the count or model a moment ago, and pressed before the card was redrawn)."""
    markup = query.message.reply_markup if query.message is not None else None
    labels = [b.text for row in (markup.inline_keyboard if markup else ()) for b in row if b.callback_data == query.data]
    expected = {t(lang, "b_confirm", price=total) for lang in LANGUAGES}
    return bool(labels) and not any(label in expected for label in labels)


def unsaid_photos(who: Who, query, draft: Draft) -> bool:
    """Whether ``draft``'s model leaves reference photos out but the pressed card did not say
    so (the model changed a moment ago, and the card was pressed before it was redrawn)."""
    spec = who.services.settings.models.get(draft.model)
    note = photos_left_out(who.lang, spec, draft) if spec is not None else None
    return note is not None and (query.message is None or note not in (query.message.text or ""))


def request_options(who: Who, draft: Draft) -> tuple[tuple[str, str], ...]:
    spec = who.services.settings.models.get(draft.model)  # gone: the engine refuses the model itself
    return tuple(sorted(valid_options(spec, draft).items())) if spec is not None else ()


RESULT_BUTTONS = ("rg", "oa", "ur")  # a result's buttons carry its generation id (callbacks.py)
GENERATION_NUMBER = re.compile(r"#(\d{1,19})\b")


async def replied_result(who: Who, message: Message) -> Generation | None:
    """The user's finished generation whose result (photo or file) ``message`` replies to."""
    target = message.reply_to_message
    if target is None or target.from_user is None or not target.from_user.is_bot or not (target.photo or target.document):
        return None
    # The caption's `code` entities are the ids the bot wrote; its text starts with the user's
    # prompt, which may itself hold "#12". Then the buttons; the bare text only last.
    numbers = [text for text in target.parse_caption_entities([MessageEntity.CODE]).values()]
    numbers += [data.split(":")[1] for row in (target.reply_markup.inline_keyboard if target.reply_markup else ())
                for data in (b.callback_data for b in row) if isinstance(data, str) and data.split(":")[0] in RESULT_BUTTONS]
    numbers += GENERATION_NUMBER.findall(target.caption or "")
    for number in numbers:
        generation_id = row_id(number)
        try:
            generation = await db(who.services.engine.generations.get, generation_id) if generation_id else None
        except NotFound:
            continue
        if generation is not None and generation.user_id == who.id and generation.result_files:
            return generation
    return None


def unnamed_album_photo(message: Message) -> bool:
    """Whether ``message`` replies to a photo of one of the bot's albums that names no
    generation (a batch's photos after the first carry no caption and no buttons)."""
    target = message.reply_to_message
    return (target is not None and target.from_user is not None and target.from_user.is_bot
            and target.media_group_id is not None and bool(target.photo) and not target.caption)


async def edit_result(who: Who, bot, message: Message, generation: Generation, prompt: str) -> None:
    """A card for ``prompt`` with the result of ``generation`` as its reference."""
    path = await asyncio.to_thread(who.services.engine.store.locate, generation.result_files[0])  # (or from the bucket)
    if not path.is_file():
        await message.reply_text(t(who.lang, "file_gone", id=generation.id))
        return
    await open_card(who, bot, message.chat_id, prompt, refs=[path], model=generation.model,
                    aspect=generation.aspect_ratio)


def fitting_aspect(spec: ModelSpec) -> str:
    return "1:1" if "1:1" in spec.aspect_ratios else spec.aspect_ratios[0]
