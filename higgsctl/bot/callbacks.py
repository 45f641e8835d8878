"""Callback data, one definition per kind of button: what a keyboard puts in the button
(``Kind.data``), the pattern its handler is registered with (``Kind.pattern``) and how the
handler reads it back (``Kind.parts``, ``draft_of``). The wire format is what old messages
carry, so it never changes:

    g            start a wizard (a new draft)
    m:<model>:<d>  choose a model           sk:<d>           skip / continue (refs)
    a:<ratio>:<d>  choose an aspect ratio   go:<d>           confirm (spends)
    x:<d>        leave the wizard
    e:<what>:<d>   on the confirm card: open the menu for model, aspect, refs, style or opt.<name>
    n:<count>:<d>  set the number of images   sy:<style>:<d>   set the style (``-``: none)
    o:<name>=<value>:<d>  set a model option  bk:<d>           back to the card
    c:<gen>      cancel a queued job        rg:<gen>         regenerate (same parameters)
    oa:<gen>     other aspect for <gen>     ra:<gen>:<ratio> run <gen>'s prompt in <ratio>
    ur:<gen>     use the result as a reference  np:<gen>         a new prompt with <gen>'s settings
    bal / tu / help / h:<page> / hi:<gen>   balance, top-up, help, history page, history item
    tu:a:<id> / tu:r:<id>                   approve / reject a top-up (admins)
    lg:<lang>    switch language
    st           the settings card      sv:<menu>        one of its menus (language, model, aspect, zone, type)
    ss:<what>:<value>  set a preference (l language, m model, a aspect, z zone, r ask before repeats;
                 an empty value: the last used / UTC); the value may itself contain ``:``
    buy          the packs                 bp:<pack>:<stars>  an invoice for <pack> at <stars>
    ps:<payment> ask for a refund (/paysupport)
    pr:r:<payment> / pr:d:<payment>          refund / decline a refund request (admins)

A wizard's buttons carry its draft id (``<d>``, see drafts.py) last; the argument before it
(a model key, a ratio such as ``16:9``) may itself contain ``:``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64  # Telegram refuses longer callback data
DRAFT = r"[\w-]+"
ROW = r"\d+"


@dataclass(frozen=True)
class Kind:
    """One kind of button. ``tail``: the pattern of what follows ``prefix:`` (None: the
    prefix is the whole data). ``fields``: how many ``:``-separated parts follow the prefix
    (the last one keeps any further ``:``)."""

    prefix: str
    tail: str | None = None
    fields: int = 0

    def data(self, *parts: object) -> str:
        if len(parts) != self.fields:
            raise ValueError(f"{self.prefix!r} buttons carry {self.fields} part(s), not {len(parts)}")
        data = ":".join((self.prefix, *map(str, parts)))
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
        return data

    @property
    def pattern(self) -> str:
        prefix = re.escape(self.prefix)
        return f"^{prefix}$" if self.tail is None else f"^{prefix}:{self.tail}"

    def parts(self, data: str) -> list[str]:
        """The parts after the prefix (a hostile client may send fewer: check the length)."""
        if not self.fields or not data.startswith(f"{self.prefix}:"):
            return []
        return data[len(self.prefix) + 1:].split(":", self.fields - 1)


class WizardKind(Kind):
    """A wizard button: its draft id is the last part, and an argument before it may hold ``:``."""

    def parts(self, data: str) -> list[str]:
        argument, draft = draft_of(data)
        return [argument, draft] if self.fields == 2 else [draft]


def draft_of(data: str) -> tuple[str, str]:
    """(argument, draft id) of a wizard button's callback data: ``a:16:9:<d>`` → ("16:9", d)."""
    head, _, draft = data.rpartition(":")
    return head.partition(":")[2], draft


# the wizard
GENERATE = Kind("g")
MODEL = WizardKind("m", rf".+:{DRAFT}$", fields=2)
SKIP = WizardKind("sk", rf"{DRAFT}$", fields=1)
ASPECT = WizardKind("a", rf".+:{DRAFT}$", fields=2)
CONFIRM = WizardKind("go", rf"{DRAFT}$", fields=1)
LEAVE = WizardKind("x", rf"{DRAFT}$", fields=1)
# the confirm card (a draft at its confirm step)
EDIT = WizardKind("e", rf".+:{DRAFT}$", fields=2)
COUNT = WizardKind("n", rf"\d:{DRAFT}$", fields=2)
STYLE = WizardKind("sy", rf".+:{DRAFT}$", fields=2)
OPTION = WizardKind("o", rf".+=.*:{DRAFT}$", fields=2)
BACK = WizardKind("bk", rf"{DRAFT}$", fields=1)
# a job and its result
CANCEL = Kind("c", rf"{ROW}$", fields=1)
REGENERATE = Kind("rg", rf"{ROW}$", fields=1)
OTHER_ASPECT = Kind("oa", rf"{ROW}$", fields=1)
RUN_IN_ASPECT = Kind("ra", rf"{ROW}:", fields=2)
USE_AS_REFERENCE = Kind("ur", rf"{ROW}$", fields=1)
REPROMPT = Kind("np", rf"{ROW}$", fields=1)
# the account
BALANCE = Kind("bal")
HELP = Kind("help")
HISTORY = Kind("h", rf"{ROW}$", fields=1)
HISTORY_ITEM = Kind("hi", rf"{ROW}$", fields=1)
TOPUP = Kind("tu")
DECIDE_TOPUP = Kind("tu", rf"[ar]:{ROW}$", fields=2)
LANGUAGE = Kind("lg", "", fields=1)
# /settings
SETTINGS = Kind("st")
SETTINGS_MENU = Kind("sv", r"\w+$", fields=1)
SET = Kind("ss", "[lmazr]:", fields=2)
# payments
PACK = r"[a-z0-9_-]{1,16}"
BUY = Kind("buy")
BUY_PACK = Kind("bp", rf"{PACK}:{ROW}$", fields=2)
ASK_REFUND = Kind("ps", rf"{ROW}$", fields=1)
DECIDE_REFUND = Kind("pr", rf"[rd]:{ROW}$", fields=2)
