"""Inline keyboards as pure functions of their data.

Callback data is short and self-contained (ids in the data, never in memory), so a button
from before a restart still means something:

    g            start the wizard           m:<model>        choose a model
    sk           skip / continue (refs)     a:<ratio>        choose an aspect ratio
    go           confirm                    x                leave the wizard
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


def models(lang: str, specs: list[ModelSpec]) -> Markup:
    rows = [[Button(t(lang, "b_model", label=s.label, price=s.price), callback_data=f"m:{s.key}")] for s in specs]
    rows.append([Button(t(lang, "b_cancel"), callback_data="x")])
    return Markup(rows)


def cancel_only(lang: str) -> Markup:
    return Markup([[Button(t(lang, "b_cancel"), callback_data="x")]])


def refs(lang: str, have_any: bool) -> Markup:
    label = t(lang, "b_continue" if have_any else "b_skip")
    return Markup([[Button(label, callback_data="sk")], [Button(t(lang, "b_cancel"), callback_data="x")]])


def _rows(buttons: list[Button], width: int) -> list[list[Button]]:
    return [buttons[i:i + width] for i in range(0, len(buttons), width)]


def aspects(lang: str, ratios: tuple[str, ...]) -> Markup:
    rows = _rows([Button(r, callback_data=f"a:{r}") for r in ratios], 3)
    rows.append([Button(t(lang, "b_cancel"), callback_data="x")])
    return Markup(rows)


def other_aspects(generation_id: int, ratios: tuple[str, ...], current: str) -> Markup:
    buttons = [Button(f"• {r} •" if r == current else r, callback_data=f"ra:{generation_id}:{r}") for r in ratios]
    return Markup(_rows(buttons, 3))


def confirm(lang: str, price: int) -> Markup:
    return Markup([
        [Button(t(lang, "b_confirm", price=price), callback_data="go")],
        [Button(t(lang, "b_cancel"), callback_data="x")],
    ])


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
