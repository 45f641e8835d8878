"""The admin TUI face of higgsctl (Textual). The CLI imports ``run_admin`` lazily."""

from .app import AdminApp, run_admin

__all__ = ["AdminApp", "run_admin"]
