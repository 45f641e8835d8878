"""Promo codes as ``engine.promos.list`` returns them: newest first."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rich.text import Text

from higgsctl.engine import PromoCode

from .. import format as fmt
from .record_table import Column, RecordTable

STATE_STYLES = {"active": "green", "disabled": "dim", "expired": "dim", "used up": "yellow"}


def promo_state(promo: PromoCode, now: datetime) -> str:
    if promo.disabled:
        return "disabled"
    if promo.expires_at is not None and promo.expires_at <= now:
        return "expired"
    if promo.used >= promo.max_uses:
        return "used up"
    return "active"


class PromosTable(RecordTable):
    COLUMNS = (
        Column("code", "Code"),
        Column("credits", "Credits", justify="right"),
        Column("used", "Used / uses", justify="right"),
        Column("expires_at", "Expires (UTC)"),
        Column("state", "State"),
        Column("created_by", "Created by"),
    )

    def show_promos(self, promos: Iterable[PromoCode], now: datetime) -> None:
        self.show_rows((p.code, self._cells(p, now)) for p in promos)

    @staticmethod
    def _cells(p: PromoCode, now: datetime) -> tuple:
        state = promo_state(p, now)
        return (
            fmt.literal(p.code),
            Text(fmt.credits(p.credits), justify="right"),
            Text(f"{p.used:,} / {p.max_uses:,}", justify="right"),
            fmt.when(p.expires_at),
            fmt.literal(state, style=STATE_STYLES[state]),
            fmt.literal(fmt.short(p.created_by, 28)),
        )
