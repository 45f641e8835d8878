"""The Telegram face of higgsctl: ``build_application(settings, engine)`` builds the PTB
Application; ``runner.run_bot(settings)`` runs it (polling or webhook)."""

from .app import build_application

__all__ = ["build_application"]
