"""The shared engine of higgsctl: Higgsfield client, database, credits, files, jobs.

It imports no UI library; every face (CLI, bot, TUI) receives an ``Engine``.
"""

from .catalog import ModelSpec
from .config import Settings, config_path, load_settings
from .core import Engine
from .errors import (
    ConfigError,
    HiggsctlError,
    HiggsfieldError,
    InsufficientCredits,
    InvalidInput,
    NotFound,
    TopUpPending,
    UserBlocked,
)
from .generations import ACTIVE, TERMINAL, JobEvent
from .history import HistoryFilter, Overview
from .models import OPERATOR_ID, Generation, LedgerEntry, TopUpRequest, User
from .requests import GenerationRequest

__all__ = [
    "ACTIVE", "TERMINAL", "ConfigError", "Engine", "Generation", "GenerationRequest", "HiggsctlError",
    "HiggsfieldError", "HistoryFilter", "InsufficientCredits", "InvalidInput", "JobEvent", "LedgerEntry",
    "ModelSpec", "NotFound", "OPERATOR_ID", "Overview", "Settings", "TopUpPending", "TopUpRequest", "User",
    "UserBlocked", "config_path", "load_settings",
]
