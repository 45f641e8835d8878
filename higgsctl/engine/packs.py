"""Selling credits: the ``[payments]`` config. Credit packs (an id, a price in Telegram Stars,
the credits it buys, a label per language), a switch per way of getting credits (``stars``:
users pay with Stars; ``topup_requests``: users ask an admin) and the /terms and /paysupport
texts per language. Defining any ``[payments.packs.<id>]`` replaces the built-in packs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

PACK_ID = re.compile(r"^[a-z0-9_-]{1,16}$")  # it travels in callback data and invoice payloads
MAX_STARS = 10_000  # Telegram's cap on one Stars invoice
MAX_CREDITS = 10_000_000  # the ledger's per-entry limit (credits.MAX_GRANT)
MAX_LABEL = 40  # a label goes into the invoice description (Telegram: at most 255 characters)


@dataclass(frozen=True)
class PackSpec:
    id: str
    stars: int
    credits: int
    labels: dict[str, str] = field(default_factory=dict)  # language → label; "en" is the fallback

    def label(self, language: str) -> str:
        return self.labels.get(language) or self.labels.get("en") or self.id


def default_packs() -> dict[str, PackSpec]:
    def pack(id: str, stars: int, credits: int, en: str, ru: str) -> PackSpec:
        return PackSpec(id=id, stars=stars, credits=credits, labels={"en": en, "ru": ru})

    return {p.id: p for p in (
        pack("small", 100, 2500, "Starter", "Старт"),
        pack("medium", 250, 6500, "Regular", "Обычный"),
        pack("large", 500, 14000, "Studio", "Студия"),
    )}


DEFAULT_TERMS = {
    "en": "Credits are bought with Telegram Stars and spent on image generation. Failed, blocked "
          "or cancelled generations cost nothing. Unspent credits of a purchase can be refunded "
          "within 30 days: use /paysupport.",
    "ru": "Кредиты покупаются за Telegram Stars и тратятся на генерацию картинок. Неудачные, "
          "заблокированные и отменённые генерации ничего не стоят. Неизрасходованные кредиты "
          "покупки можно вернуть в течение 30 дней: /paysupport.",
}
DEFAULT_SUPPORT = {
    "en": "Trouble with a payment? Choose it below to ask for a refund; an admin will answer here.",
    "ru": "Проблема с оплатой? Выберите платёж ниже, чтобы запросить возврат; администратор ответит здесь.",
}


@dataclass(frozen=True)
class PaymentSettings:
    stars: bool = False
    topup_requests: bool = True
    packs: dict[str, PackSpec] = field(default_factory=default_packs)
    terms: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_TERMS))
    support: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SUPPORT))

    def pack(self, pack_id: str) -> PackSpec | None:
        return self.packs.get(pack_id)

    def checkout_problem(self, payload: str, currency: str, total: int, user_id: int) -> str | None:
        """Why a pre-checkout must be declined ("stars_off", "pack_gone", "pack_changed",
        "not_yours"), or None when the invoice still sells what it showed, at its price."""
        if not self.stars:
            return "stars_off"
        purchase = parse_payload(payload)
        if purchase is None or currency != CURRENCY:
            return "pack_gone"
        pack = self.pack(purchase.pack)
        if pack is None:
            return "pack_gone"
        if (pack.stars, pack.credits) != (purchase.stars, purchase.credits) or total != pack.stars:
            return "pack_changed"
        if purchase.user_id != user_id:
            return "not_yours"
        return None

    def text(self, which: str, language: str) -> str:
        texts = self.terms if which == "terms" else self.support
        return texts.get(language) or texts.get("en") or next(iter(texts.values()), "")


CURRENCY = "XTR"  # Telegram Stars


@dataclass(frozen=True)
class Purchase:
    """What an invoice sold, read back from its payload."""

    pack: str
    stars: int
    credits: int
    user_id: int


def invoice_payload(pack: PackSpec, user_id: int) -> str:
    """The invoice payload (1-128 bytes): the pack, its price and credits as shown, the buyer."""
    return f"buy:{pack.id}:{pack.stars}:{pack.credits}:{user_id}"


def parse_payload(payload: str) -> Purchase | None:
    parts = (payload or "").split(":")
    if len(parts) != 5 or parts[0] != "buy" or not PACK_ID.match(parts[1]):
        return None
    if not all(p.isascii() and p.isdigit() and len(p) <= 19 for p in parts[2:]):
        return None
    stars, credits, user_id = (int(p) for p in parts[2:])
    if not (0 < stars <= MAX_STARS and 0 < credits <= MAX_CREDITS):
        return None
    return Purchase(pack=parts[1], stars=stars, credits=credits, user_id=user_id)


_KEYS = {"stars": bool, "topup_requests": bool, "packs": dict, "terms": dict, "support": dict}
_PACK_KEYS = {"stars": int, "credits": int, "label": dict}


def parse_payments(raw: Any, path: Path) -> PaymentSettings:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: payments must be a table ([payments]).")
    _check_keys(raw, _KEYS, "[payments]", path)
    defaults = PaymentSettings()
    return PaymentSettings(
        stars=raw.get("stars", defaults.stars),
        topup_requests=raw.get("topup_requests", defaults.topup_requests),
        packs=_packs(raw["packs"], path) if "packs" in raw else defaults.packs,
        terms=_texts(raw, "terms", path) or defaults.terms,
        support=_texts(raw, "support", path) or defaults.support,
    )


def _check_keys(table: dict, kinds: dict[str, type], where: str, path: Path) -> None:
    for key, value in table.items():
        kind = kinds.get(key)
        if kind is None:
            raise ConfigError(f"{path}: unknown key {where} {key}.", hint=f"Known keys: {', '.join(kinds)}.")
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise ConfigError(f"{path}: {where} {key} has the wrong type ({value!r}).")


def _texts(raw: dict, key: str, path: Path) -> dict[str, str]:
    texts = raw.get(key, {})
    if not all(isinstance(v, str) and v.strip() for v in texts.values()):
        raise ConfigError(f"{path}: [payments] {key} must map languages to text, like {{ en = \"...\", ru = \"...\" }}.")
    return dict(texts)


def _packs(raw: dict, path: Path) -> dict[str, PackSpec]:
    if not raw:
        raise ConfigError(f"{path}: [payments.packs] must hold at least one [payments.packs.<id>] table.")
    packs: dict[str, PackSpec] = {}
    for pack_id, table in raw.items():
        where = f"[payments.packs.{pack_id}]"
        if not PACK_ID.match(pack_id):
            raise ConfigError(f"{path}: {where}: a pack id is 1-16 of a-z, 0-9, _ and -.")
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: {where} must be a table.")
        _check_keys(table, _PACK_KEYS, where, path)
        stars, credits = table.get("stars"), table.get("credits")
        if stars is None or not 1 <= stars <= MAX_STARS:
            raise ConfigError(f"{path}: {where} stars must be a whole number from 1 to {MAX_STARS}.")
        if credits is None or not 1 <= credits <= MAX_CREDITS:
            raise ConfigError(f"{path}: {where} credits must be a whole number from 1 to {MAX_CREDITS}.")
        labels = table.get("label", {})
        if not all(isinstance(v, str) and v.strip() and len(v) <= MAX_LABEL for v in labels.values()):
            raise ConfigError(f"{path}: {where} label must map languages to text of 1-{MAX_LABEL} characters, "
                              "like { en = \"Starter\", ru = \"Старт\" }.")
        packs[pack_id] = PackSpec(id=pack_id, stars=stars, credits=credits, labels=dict(labels))
    return packs
