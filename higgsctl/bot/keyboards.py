"""Inline keyboards as pure functions of their data; the callback data comes from callbacks.py."""

from __future__ import annotations

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup

from higgsctl.engine import ModelSpec, PackSpec
from higgsctl.engine.packs import PaymentSettings

from . import callbacks as cb
from .texts import t

CANCELABLE = ("pending", "uploading", "queued")


def main_menu(lang: str) -> Markup:
    return Markup([
        [Button(t(lang, "b_generate"), callback_data=cb.GENERATE.data())],
        [Button(t(lang, "b_balance"), callback_data=cb.BALANCE.data()), Button(t(lang, "b_history"), callback_data=cb.HISTORY.data(0))],
        [Button(t(lang, "b_topup"), callback_data=cb.TOPUP.data()), Button(t(lang, "b_help"), callback_data=cb.HELP.data())],
    ])


def models(lang: str, specs: list[ModelSpec], draft: str, *, back: bool = False, photos: int = 0) -> Markup:
    """The model menu of a wizard (its last button leaves it) or of a card (``back`` to it).
    ``photos``: the draft's reference photos; a model that would not send them all says so."""
    rows = [[Button(_model_label(lang, s, photos), callback_data=cb.MODEL.data(s.key, draft))] for s in specs]
    rows.append([_back(lang, draft) if back else _leave(lang, draft)])
    return Markup(rows)


def _model_label(lang: str, spec: ModelSpec, photos: int) -> str:
    if photos and not spec.max_references:
        return t(lang, "b_model_no_refs", label=spec.label, price=spec.price)
    if photos > spec.max_references:
        return t(lang, "b_model_some_refs", label=spec.label, price=spec.price, max=spec.max_references)
    return t(lang, "b_model", label=spec.label, price=spec.price)


def _leave(lang: str, draft: str) -> Button:
    return Button(t(lang, "b_cancel"), callback_data=cb.LEAVE.data(draft))


def _back(lang: str, draft: str) -> Button:
    return Button(t(lang, "b_back"), callback_data=cb.BACK.data(draft))


def cancel_only(lang: str, draft: str) -> Markup:
    return Markup([[_leave(lang, draft)]])


def refs(lang: str, draft: str, have_any: bool) -> Markup:
    label = t(lang, "b_continue" if have_any else "b_skip")
    return Markup([[Button(label, callback_data=cb.SKIP.data(draft))], [_leave(lang, draft)]])


def _rows(buttons: list[Button], width: int) -> list[list[Button]]:
    return [buttons[i:i + width] for i in range(0, len(buttons), width)]


def aspects(lang: str, ratios: tuple[str, ...], draft: str, *, current: str | None = None) -> Markup:
    """The aspect menu of a wizard, or of a card (``current``: the card's ratio, and a way back)."""
    rows = _rows([Button(_marked(r, r == current), callback_data=cb.ASPECT.data(r, draft)) for r in ratios], 3)
    rows.append([_back(lang, draft) if current else _leave(lang, draft)])
    return Markup(rows)


def _marked(label: str, chosen: bool) -> str:
    return f"• {label} •" if chosen else label


def other_aspects(generation_id: int, ratios: tuple[str, ...], current: str) -> Markup:
    buttons = [Button(_marked(r, r == current), callback_data=cb.RUN_IN_ASPECT.data(generation_id, r)) for r in ratios]
    return Markup(_rows(buttons, 3))


def confirm(lang: str, price: int, draft: str) -> Markup:
    return Markup([[Button(t(lang, "b_confirm", price=price), callback_data=cb.CONFIRM.data(draft))], [_leave(lang, draft)]])


def card(lang: str, draft: str, *, total: int, count: int, spec: ModelSpec, options: dict[str, str],
         styles: bool, max_count: int, photos_model: ModelSpec | None = None) -> Markup:
    """The confirm card: Generate for the total price, then what can still change.
    ``photos_model``: a model that sends the reference photos this one leaves out, one tap away."""
    edits = [Button(t(lang, "b_card_model"), callback_data=cb.EDIT.data("model", draft)),
             Button(t(lang, "b_card_aspect"), callback_data=cb.EDIT.data("aspect", draft))]
    if spec.max_references:
        edits.append(Button(t(lang, "b_card_refs"), callback_data=cb.EDIT.data("refs", draft)))
    counts = [Button(_marked(str(n), n == count), callback_data=cb.COUNT.data(n, draft)) for n in range(1, max_count + 1)]
    extras = [Button(t(lang, "b_card_style"), callback_data=cb.EDIT.data("style", draft))] if styles else []
    extras += [Button(t(lang, "b_card_option", name=name, value=value), callback_data=cb.EDIT.data(f"opt.{name}", draft))
               for name, value in options.items()]
    rows = [[Button(t(lang, "b_confirm", price=total), callback_data=cb.CONFIRM.data(draft))], edits, counts,
            *_rows(extras, 2), [_leave(lang, draft)]]
    if photos_model is not None:
        rows.insert(1, [Button(t(lang, "b_card_use_refs", label=photos_model.label),
                               callback_data=cb.MODEL.data(photos_model.key, draft))])
    return Markup(rows)


def styles(lang: str, choices: list[tuple[str, str]], current: str | None, draft: str) -> Markup:
    """``choices``: (name, label) of each style preset."""
    buttons = [Button(_marked(label, name == current), callback_data=cb.STYLE.data(name, draft)) for name, label in choices]
    buttons.append(Button(_marked(t(lang, "b_no_style"), current is None), callback_data=cb.STYLE.data("-", draft)))
    return Markup([*_rows(buttons, 2), [_back(lang, draft)]])


def option_values(lang: str, name: str, values: tuple[str, ...], current: str, draft: str) -> Markup:
    buttons = [Button(_marked(v, v == current), callback_data=cb.OPTION.data(f"{name}={v}", draft)) for v in values]
    return Markup([*_rows(buttons, 3), [_back(lang, draft)]])


def job_status(lang: str, generation_id: int, status: str) -> Markup | None:
    """A Cancel button while the job can still be cancelled; nothing afterwards."""
    if status not in CANCELABLE:
        return None
    return Markup([[Button(t(lang, "b_cancel"), callback_data=cb.CANCEL.data(generation_id))]])


def result(lang: str, generation_id: int, price: int | None) -> Markup:
    """Under a result. Regenerate names what it spends (``price``: one more image of that
    model now; None when the model left the catalog and pressing it only says so)."""
    regen = t(lang, "b_regen") if price is None else t(lang, "b_regen_price", price=price)
    return Markup([
        [Button(regen, callback_data=cb.REGENERATE.data(generation_id)),
         Button(t(lang, "b_other_aspect"), callback_data=cb.OTHER_ASPECT.data(generation_id))],
        [Button(t(lang, "b_use_ref"), callback_data=cb.USE_AS_REFERENCE.data(generation_id))],
    ])


def history(lang: str, page: int, pages: int, items: list[tuple[int, bool]]) -> Markup:
    """``items`` are (generation id, has a result file); finished ones get a re-send button."""
    rows = _rows([Button(f"🖼 #{gid}", callback_data=cb.HISTORY_ITEM.data(gid)) for gid, ok in items if ok], 3)
    nav = []
    if page > 0:
        nav.append(Button(t(lang, "b_prev"), callback_data=cb.HISTORY.data(page - 1)))
    if page + 1 < pages:
        nav.append(Button(t(lang, "b_next"), callback_data=cb.HISTORY.data(page + 1)))
    if nav:
        rows.append(nav)
    return Markup(rows)


def topup_decision(lang: str, request_id: int) -> Markup:
    return Markup([[Button(t(lang, "b_approve"), callback_data=cb.DECIDE_TOPUP.data("a", request_id)),
                    Button(t(lang, "b_reject"), callback_data=cb.DECIDE_TOPUP.data("r", request_id))]])


def balance(lang: str, *, buy: bool = False, topup: bool = True) -> Markup:
    """Under the balance: Buy (when Stars are on), Top up (when requests are on), Generate."""
    row = [Button(t(lang, "b_buy"), callback_data=cb.BUY.data())] if buy else []
    if topup:
        row.append(Button(t(lang, "b_topup"), callback_data=cb.TOPUP.data()))
    return Markup([[*row, Button(t(lang, "b_generate"), callback_data=cb.GENERATE.data())]])


def packs(lang: str, specs: list[PackSpec]) -> Markup:
    """One button per pack, naming its price (and carrying it: a changed pack is refused)."""
    return Markup([[Button(t(lang, "b_pack", label=p.label(lang), credits=p.credits, stars=p.stars),
                           callback_data=cb.BUY_PACK.data(p.id, p.stars))] for p in specs])


def refundable(lang: str, payments: list) -> Markup:
    return Markup([[Button(t(lang, "b_payment", id=p.id, date=p.created_at.strftime("%Y-%m-%d"), stars=p.stars,
                                  credits=p.credits), callback_data=cb.ASK_REFUND.data(p.id))] for p in payments])


def refund_decision(payment_id: int) -> Markup:
    return Markup([[Button("↩ Refund", callback_data=cb.DECIDE_REFUND.data("r", payment_id)),
                    Button("✖ Decline", callback_data=cb.DECIDE_REFUND.data("d", payment_id))]])


def low_balance(lang: str, payments: PaymentSettings) -> Markup:
    """The ways to get credits when they are short: Buy (Stars on) and Top up (requests on)."""
    row = [Button(t(lang, "b_buy"), callback_data=cb.BUY.data())] if payments.stars else []
    if payments.topup_requests or not row:  # never a dead end: a request says when requests are switched off
        row.append(Button(t(lang, "b_topup"), callback_data=cb.TOPUP.data()))
    return Markup([row])


def languages() -> Markup:
    return Markup([[Button("English", callback_data=cb.LANGUAGE.data("en")), Button("Русский", callback_data=cb.LANGUAGE.data("ru"))]])
