"""Inline keyboards as pure functions of their data.

Callback data is short (at most 64 bytes) and names what it acts on: a wizard's buttons
carry its draft id (``<d>``, see drafts.py) last, a result's buttons its generation id. A
button acts on exactly that, or says the menu expired:

    g            start a wizard (a new draft)
    m:<model>:<d>  choose a model           sk:<d>           skip / continue (refs)
    a:<ratio>:<d>  choose an aspect ratio   go:<d>           confirm (spends)
    x:<d>        leave the wizard
    c:<gen>      cancel a queued job        rg:<gen>         regenerate (same parameters)
    oa:<gen>     other aspect for <gen>     ra:<gen>:<ratio> run <gen>'s prompt in <ratio>
    ur:<gen>     use the result as a reference
    bal / tu / help / h:<page> / hi:<gen>   balance, top-up, help, history page, history item
    tu:a:<id> / tu:r:<id>                   approve / reject a top-up (admins)
    lg:<lang>    switch language
"""

from __future__ import annotations

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup

from higgsctl.engine import ModelSpec

from .texts import t

CANCELABLE = ("pending", "uploading", "queued")


def main_menu(lang: str) -> Markup:
    return Markup([
        [Button(t(lang, "b_generate"), callback_data="g")],
        [Button(t(lang, "b_balance"), callback_data="bal"), Button(t(lang, "b_history"), callback_data="h:0")],
        [Button(t(lang, "b_topup"), callback_data="tu"), Button(t(lang, "b_help"), callback_data="help")],
    ])


def models(lang: str, specs: list[ModelSpec], draft: str) -> Markup:
    rows = [[Button(t(lang, "b_model", label=s.label, price=s.price), callback_data=f"m:{s.key}:{draft}")]
            for s in specs]
    rows.append([_leave(lang, draft)])
    return Markup(rows)


def _leave(lang: str, draft: str) -> Button:
    return Button(t(lang, "b_cancel"), callback_data=f"x:{draft}")


def cancel_only(lang: str, draft: str) -> Markup:
    return Markup([[_leave(lang, draft)]])


def refs(lang: str, draft: str, have_any: bool) -> Markup:
    label = t(lang, "b_continue" if have_any else "b_skip")
    return Markup([[Button(label, callback_data=f"sk:{draft}")], [_leave(lang, draft)]])


def _rows(buttons: list[Button], width: int) -> list[list[Button]]:
    return [buttons[i:i + width] for i in range(0, len(buttons), width)]


def aspects(lang: str, ratios: tuple[str, ...], draft: str) -> Markup:
    rows = _rows([Button(r, callback_data=f"a:{r}:{draft}") for r in ratios], 3)
    rows.append([_leave(lang, draft)])
    return Markup(rows)


def other_aspects(generation_id: int, ratios: tuple[str, ...], current: str) -> Markup:
    buttons = [Button(f"• {r} •" if r == current else r, callback_data=f"ra:{generation_id}:{r}") for r in ratios]
    return Markup(_rows(buttons, 3))


def confirm(lang: str, price: int, draft: str) -> Markup:
    return Markup([[Button(t(lang, "b_confirm", price=price), callback_data=f"go:{draft}")], [_leave(lang, draft)]])


def draft_of(data: str) -> tuple[str, str]:
    """(argument, draft id) of a wizard button's callback data: ``a:16:9:<d>`` → ("16:9", d)."""
    head, _, draft = data.rpartition(":")
    return head.partition(":")[2], draft


def job_status(lang: str, generation_id: int, status: str) -> Markup | None:
    """A Cancel button while the job can still be cancelled; nothing afterwards."""
    if status not in CANCELABLE:
        return None
    return Markup([[Button(t(lang, "b_cancel"), callback_data=f"c:{generation_id}")]])


def result(lang: str, generation_id: int) -> Markup:
    return Markup([
        [Button(t(lang, "b_regen"), callback_data=f"rg:{generation_id}"),
         Button(t(lang, "b_other_aspect"), callback_data=f"oa:{generation_id}")],
        [Button(t(lang, "b_use_ref"), callback_data=f"ur:{generation_id}")],
    ])


def history(lang: str, page: int, pages: int, items: list[tuple[int, bool]]) -> Markup:
    """``items`` are (generation id, has a result file); finished ones get a re-send button."""
    rows = _rows([Button(f"🖼 #{gid}", callback_data=f"hi:{gid}") for gid, ok in items if ok], 3)
    nav = []
    if page > 0:
        nav.append(Button(t(lang, "b_prev"), callback_data=f"h:{page - 1}"))
    if page + 1 < pages:
        nav.append(Button(t(lang, "b_next"), callback_data=f"h:{page + 1}"))
    if nav:
        rows.append(nav)
    return Markup(rows)


def topup_decision(lang: str, request_id: int) -> Markup:
    return Markup([[Button(t(lang, "b_approve"), callback_data=f"tu:a:{request_id}"),
                    Button(t(lang, "b_reject"), callback_data=f"tu:r:{request_id}")]])


def balance(lang: str) -> Markup:
    return Markup([[Button(t(lang, "b_topup"), callback_data="tu"), Button(t(lang, "b_generate"), callback_data="g")]])


def languages() -> Markup:
    return Markup([[Button("English", callback_data="lg:en"), Button("Русский", callback_data="lg:ru")]])
