"""The confirm card's buttons that change what it will make: the model and aspect menus
(their choices are the wizard's own buttons, wizard.py), reference photos (photos.py takes
them), the number of images, the style, the model's options, and Back. Each menu is drawn
on the card itself; choosing redraws the card with the new price. Nothing here spends."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from higgsctl.engine.requests import MAX_COUNT

from .. import callbacks as cb
from .. import keyboards
from ..texts import t
from . import cards
from .guards import guarded
from .replies import expired, reply
from .who import Context, Who, named_draft

OPTION = "opt."


@guarded
async def edit(update: Update, context: Context, who: Who) -> None:
    what, draft = await named_draft(update, who, "confirm")
    spec = who.services.settings.models.get(draft.model) if draft is not None else None
    if spec is None:
        await expired(update, who)
        return
    lang, settings = who.lang, who.services.settings
    if what == "model":
        photos = len(draft.references)
        await reply(update, t(lang, "card_choose_model_refs" if photos else "card_choose_model"),
                    keyboards.models(lang, list(settings.models.values()), draft.id, back=True, photos=photos))
    elif what == "aspect":
        await reply(update, t(lang, "choose_aspect"), keyboards.aspects(lang, spec.aspect_ratios, draft.id, current=draft.aspect))
    elif what == "style" and settings.styles:
        choices = [(name, style.label(lang)) for name, style in settings.styles.items()]
        await reply(update, t(lang, "card_choose_style"), keyboards.styles(lang, choices, draft.style, draft.id))
    elif what.startswith(OPTION) and what[len(OPTION):] in spec.options:
        name = what[len(OPTION):]
        current = spec.option_values(cards.valid_options(spec, draft))[name]
        await reply(update, t(lang, "card_choose_option", name=name),
                    keyboards.option_values(lang, name, spec.options[name], current, draft.id))
    elif what == "refs" and spec.max_references:
        draft = await who.services.drafts.change(who.id, draft, "confirm", step="refs")
        if draft is not None:
            await reply(update, t(lang, "card_send_refs", max=spec.max_references),
                        keyboards.refs(lang, draft.id, bool(draft.references)))
    else:
        await expired(update, who)


@guarded
async def count_chosen(update: Update, context: Context, who: Who) -> None:
    count, draft = await named_draft(update, who, "confirm")
    if draft is None or not count.isdigit() or not 1 <= int(count) <= MAX_COUNT:
        await expired(update, who)
        return
    await _redraw(update, who, draft, count=int(count))


@guarded
async def style_chosen(update: Update, context: Context, who: Who) -> None:
    name, draft = await named_draft(update, who, "confirm")
    styles, models = who.services.settings.styles, who.services.settings.models
    if draft is None or (name != "-" and name not in styles):
        await expired(update, who)
        return
    if name == "-":
        await _redraw(update, who, draft, style=None)
        return
    style = styles[name]  # a style may bring the model and aspect it is best with
    model = style.model if style.model in models else draft.model
    ratios = models[model].aspect_ratios
    aspect = next(r for r in (style.aspect_ratio, draft.aspect, cards.fitting_aspect(models[model])) if r in ratios)
    await _redraw(update, who, draft, style=name, model=model, aspect=aspect)  # (the card says if photos are left out)


@guarded
async def option_chosen(update: Update, context: Context, who: Who) -> None:
    choice, draft = await named_draft(update, who, "confirm")
    name, _, value = choice.partition("=")
    spec = who.services.settings.models.get(draft.model) if draft is not None else None
    if spec is None or value not in spec.options.get(name, ()):
        await expired(update, who)
        return
    await _redraw(update, who, draft, options={**cards.valid_options(spec, draft), name: value})


@guarded
async def back(update: Update, context: Context, who: Who) -> None:
    _, draft = await named_draft(update, who, "confirm", "refs")
    if draft is None or draft.aspect is None:
        await expired(update, who)
        return
    await cards.show(who, draft, update=update)


async def _redraw(update: Update, who: Who, draft, **changes) -> None:
    draft = await who.services.drafts.change(who.id, draft, "confirm", **changes)
    if draft is not None:
        await cards.show(who, draft, update=update)
    else:
        await expired(update, who)


def register(app: Application, group: int = 0) -> None:
    app.add_handler(CallbackQueryHandler(edit, pattern=cb.EDIT.pattern), group)
    app.add_handler(CallbackQueryHandler(count_chosen, pattern=cb.COUNT.pattern), group)
    app.add_handler(CallbackQueryHandler(style_chosen, pattern=cb.STYLE.pattern), group)
    app.add_handler(CallbackQueryHandler(option_chosen, pattern=cb.OPTION.pattern), group)
    app.add_handler(CallbackQueryHandler(back, pattern=cb.BACK.pattern), group)
