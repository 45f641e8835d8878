"""One codec for callback data: what a keyboard builds is what its handler's pattern matches
and reads back, in the wire format old messages carry."""

from __future__ import annotations

import re

import pytest

from higgsctl.bot import callbacks as cb
from higgsctl.bot.handlers.ids import MAX_ROW_ID

KINDS = {name: kind for name, kind in vars(cb).items() if isinstance(kind, cb.Kind)}
# The patterns the handlers were registered with before the codec: old buttons must still match.
OLD_PATTERNS = {
    "GENERATE": r"^g$", "MODEL": r"^m:.+:[\w-]+$", "SKIP": r"^sk:[\w-]+$", "ASPECT": r"^a:.+:[\w-]+$",
    "CONFIRM": r"^go:[\w-]+$", "LEAVE": r"^x:[\w-]+$", "CANCEL": r"^c:\d+$", "REGENERATE": r"^rg:\d+$",
    "OTHER_ASPECT": r"^oa:\d+$", "RUN_IN_ASPECT": r"^ra:\d+:", "USE_AS_REFERENCE": r"^ur:\d+$",
    "BALANCE": r"^bal$", "HELP": r"^help$", "HISTORY": r"^h:\d+$", "HISTORY_ITEM": r"^hi:\d+$",
    "TOPUP": r"^tu$", "DECIDE_TOPUP": r"^tu:[ar]:\d+$", "LANGUAGE": r"^lg:", "REPROMPT": r"^np:\d+$",
    "SETTINGS": r"^st$", "SETTINGS_MENU": r"^sv:\w+$", "SET": r"^ss:[lmazr]:",
    "EDIT": r"^e:.+:[\w-]+$", "COUNT": r"^n:\d:[\w-]+$", "STYLE": r"^sy:.+:[\w-]+$",
    "OPTION": r"^o:.+=.*:[\w-]+$", "BACK": r"^bk:[\w-]+$",
    # payments (new with them)
    "BUY": r"^buy$", "BUY_PACK": r"^bp:[a-z0-9_-]{1,16}:\d+$", "ASK_REFUND": r"^ps:\d+$", "DECIDE_REFUND": r"^pr:[rd]:\d+$",
}
DRAFTS = ["k3", "a-b_9", "Z" * 20]
IDS = [1, 42, MAX_ROW_ID]
SAMPLES = {
    "GENERATE": [()], "BALANCE": [()], "HELP": [()], "TOPUP": [()],
    "MODEL": [(m, d) for m in ("seedream-4.5", "flux:pro", "nano_banana") for d in DRAFTS],
    "ASPECT": [(r, d) for r in ("1:1", "16:9", "21:9") for d in DRAFTS],
    **{name: [(d,) for d in DRAFTS] for name in ("SKIP", "CONFIRM", "LEAVE", "BACK")},
    **{name: [(i,) for i in IDS] for name in ("CANCEL", "REGENERATE", "OTHER_ASPECT", "USE_AS_REFERENCE",
                                             "HISTORY_ITEM")},
    "EDIT": [(w, d) for w in ("model", "aspect", "refs", "style", "opt.resolution") for d in DRAFTS],
    "COUNT": [(n, d) for n in (1, 4) for d in DRAFTS],
    "STYLE": [(st, d) for st in ("anime", "-") for d in DRAFTS],
    "OPTION": [(o, d) for o in ("resolution=4K", "output_format=png") for d in DRAFTS],
    "HISTORY": [(0,), (7,), (10**6,)],
    "RUN_IN_ASPECT": [(i, r) for i in IDS for r in ("1:1", "16:9", "3:4")],
    "DECIDE_TOPUP": [(v, i) for v in "ar" for i in IDS],
    "LANGUAGE": [("en",), ("ru",)],
    "REPROMPT": [(i,) for i in IDS],
    "SETTINGS": [()],
    "SETTINGS_MENU": [(m,) for m in ("language", "model", "aspect", "zone", "type")],
    "SET": [("l", "ru"), ("m", "seedream-4.5"), ("m", ""), ("a", "16:9"), ("a", ""), ("z", "America/Argentina/Buenos_Aires"),
            ("z", ""), ("r", 0), ("r", 1)],
    "BUY": [()], "BUY_PACK": [(p, n) for p in ("small", "x", "a-b_c" + "9" * 11) for n in (1, 100, 10000)],
    "ASK_REFUND": [(i,) for i in IDS], "DECIDE_REFUND": [(v, i) for v in "rd" for i in IDS],
}


def test_every_kind_keeps_the_old_wire_pattern():
    assert set(KINDS) == set(OLD_PATTERNS) == set(SAMPLES)
    for name, kind in KINDS.items():
        assert kind.pattern == OLD_PATTERNS[name], name


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_built_data_matches_its_own_pattern_only_and_reads_back(name):
    kind = KINDS[name]
    for parts in SAMPLES[name]:
        data = kind.data(*parts)
        assert len(data.encode()) <= cb.MAX_BYTES
        assert re.match(kind.pattern, data), data
        others = [other for other, k in KINDS.items() if other != name and re.match(k.pattern, data)]
        assert others == [], (data, others)
        assert kind.parts(data) == [str(p) for p in parts]


def test_data_over_telegrams_limit_or_with_the_wrong_parts_is_refused():
    with pytest.raises(ValueError):
        cb.MODEL.data("m" * 60, "draft")
    with pytest.raises(ValueError):
        cb.ASPECT.data("16:9")
    with pytest.raises(ValueError):
        cb.BALANCE.data(1)


def test_hostile_data_reads_back_as_nothing_usable():
    for data in ("", "lg", "tu:", "ra", "h:"):
        for kind in KINDS.values():
            parts = kind.parts(data)
            assert len(parts) <= kind.fields
