"""The error family every face renders in its own way.

Each error carries a human message (English, for operators and logs), an optional hint,
and a ``code`` with ``params``: a face that speaks the user's language (the bot) translates
``code`` and never shows ``message`` to a user. ``exit_code`` lets the CLI map an error to
its documented exit status without a lookup table of classes.
"""

from __future__ import annotations


class HiggsctlError(Exception):
    exit_code = 1
    default_code = "error"

    def __init__(self, message: str, hint: str | None = None, *, code: str | None = None, **params) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code or self.default_code
        self.params = params

    def __str__(self) -> str:
        return self.message


# --- configuration and input ------------------------------------------------------------

class ConfigError(HiggsctlError):
    exit_code = 3


class InvalidInput(HiggsctlError):
    """Bad input from a user or operator; nothing was charged."""

    exit_code = 2
    default_code = "invalid_input"


class NotFound(HiggsctlError):
    exit_code = 2
    default_code = "not_found"


# --- money ------------------------------------------------------------------------------

class InsufficientCredits(HiggsctlError):
    exit_code = 5

    def __init__(self, needed: int, balance: int) -> None:
        super().__init__(
            f"Not enough credits: this costs {needed}, the balance is {balance}.",
            hint="Request a top-up or ask an admin for a grant.",
            code="insufficient_credits", needed=needed, balance=balance,
        )
        self.needed = needed
        self.balance = balance


class UserBlocked(HiggsctlError):
    exit_code = 5
    default_code = "user_blocked"


class TopUpPending(HiggsctlError):
    exit_code = 2
    default_code = "topup_pending"


# --- Higgsfield API ---------------------------------------------------------------------

class HiggsfieldError(HiggsctlError):
    """An error talking to the Higgsfield API."""

    exit_code = 4
    default_code = "service_error"
    retryable = False

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        status_code: int | None = None,
        correlation_id: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, hint, code=code)
        self.status_code = status_code
        self.correlation_id = correlation_id


class HiggsfieldAuthError(HiggsfieldError):
    exit_code = 3
    default_code = "service_auth"


class HiggsfieldCreditsError(HiggsfieldError):
    """The operator's Higgsfield account ran out of credits (HTTP 403)."""

    default_code = "service_credits"


class ConcurrencyLimitError(HiggsfieldError):
    retryable = True


class HiggsfieldValidationError(HiggsfieldError):
    default_code = "service_rejected"


class HiggsfieldNotFound(HiggsfieldError):
    pass


class HiggsfieldServerError(HiggsfieldError):
    retryable = True


class HiggsfieldNetworkError(HiggsfieldError):
    retryable = True


class HiggsfieldTimeout(HiggsfieldError):
    """A request (or a whole generation) took longer than allowed."""

    retryable = True


class DownloadTooLarge(HiggsfieldError):
    default_code = "result_too_large"
