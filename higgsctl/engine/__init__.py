"""The shared engine of higgsctl: Higgsfield client, database, credits, files, jobs.

It imports no UI library; every face (CLI, bot, TUI) receives an ``Engine``. Names load
lazily so that a command which only needs the config doesn't import httpx and peewee.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_EXPORTS = {
    "ModelSpec": "catalog",
    "Settings": "config", "config_path": "config", "load_settings": "config",
    "Engine": "core",
    "AlreadyHeld": "errors", "ConfigError": "errors", "HiggsctlError": "errors", "HiggsfieldError": "errors",
    "InsufficientCredits": "errors", "InvalidInput": "errors", "NotFound": "errors",
    "TopUpAlreadyDecided": "errors", "TopUpPending": "errors", "UserBlocked": "errors",
    "RefundFailed": "errors", "RefundPending": "errors", "RefundRefused": "errors",
    "PackSpec": "packs", "PaymentSettings": "packs",
    "RefundAnswer": "payments", "StarTx": "reconcile", "Payment": "models",
    "ACTIVE": "events", "TERMINAL": "events", "JobEvent": "events", "Status": "events", "Charge": "events",
    "HistoryFilter": "history", "Overview": "history",
    "OPERATOR_ID": "models", "Draft": "models", "Generation": "models", "LedgerEntry": "models",
    "TopUpRequest": "models", "User": "models", "PromoCode": "models", "PromoRefused": "promos",
    "AdminAct": "generations", "AuditEntry": "models", "AuditFilter": "audit", "ExportOptions": "exports",
    "GenerationRequest": "requests", "check_reference": "requests", "CONTENT_TYPES": "requests",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from .audit import AuditFilter
    from .catalog import ModelSpec
    from .config import Settings, config_path, load_settings
    from .core import Engine
    from .errors import (
        AlreadyHeld, ConfigError, HiggsctlError, HiggsfieldError, InsufficientCredits, InvalidInput, NotFound,
        TopUpAlreadyDecided, TopUpPending, UserBlocked, RefundFailed, RefundPending, RefundRefused,
    )
    from .packs import PackSpec, PaymentSettings
    from .payments import RefundAnswer
    from .reconcile import StarTx
    from .events import ACTIVE, TERMINAL, Charge, JobEvent, Status
    from .exports import ExportOptions
    from .generations import AdminAct
    from .history import HistoryFilter, Overview
    from .models import OPERATOR_ID, AuditEntry, Draft, Generation, LedgerEntry, Payment, PromoCode, TopUpRequest, User
    from .promos import PromoRefused
    from .requests import CONTENT_TYPES, GenerationRequest, check_reference
