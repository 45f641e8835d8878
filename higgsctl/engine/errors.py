"""The error family every face renders in its own way.

Each error carries a human message (English, for operators and logs), an optional hint,
and a ``code`` with ``params``: a face that speaks the user's language (the bot) translates
``code`` and never shows ``message`` to a user; the CLI maps classes to its exit codes
(higgsctl/cli/exit_codes.py).
"""

from __future__ import annotations


class HiggsctlError(Exception):
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
    default_code = "config"


class InvalidInput(HiggsctlError):
    """Bad input from a user or operator; nothing was charged."""

    default_code = "invalid_input"


class NotFound(HiggsctlError):
    default_code = "not_found"


# --- money ------------------------------------------------------------------------------

class InsufficientCredits(HiggsctlError):
    default_code = "insufficient_credits"

    def __init__(self, needed: int, balance: int) -> None:
        super().__init__(
            f"Not enough credits: this costs {needed}, the balance is {balance}.",
            hint="Request a top-up or ask an admin for a grant.",
            code="insufficient_credits", needed=needed, balance=balance,
        )
        self.needed = needed
        self.balance = balance


class UserBlocked(HiggsctlError):
    default_code = "user_blocked"


class TopUpPending(HiggsctlError):
    default_code = "topup_pending"


class TopUpAlreadyDecided(InvalidInput):
    """Someone (another admin, the TUI or the CLI) decided the request first."""

    default_code = "topup_decided"

    def __init__(self, request_id: int, status: str, decided_by: str | None) -> None:
        super().__init__(f"Top-up request #{request_id} was already {status} by {decided_by}.",
                         code=self.default_code, id=request_id, status=status, actor=decided_by)
        self.request_id = request_id
        self.status = status
        self.decided_by = decided_by


class RefundRefused(InvalidInput):
    """The user has spent (some of) the credits a payment bought: refunding it would take the
    balance below zero, so nothing was refunded."""

    default_code = "refund_spent"

    def __init__(self, charge_id: str, credits: int, balance: int) -> None:
        super().__init__(
            f"Payment {charge_id} bought {credits} credits but the balance is {balance}: they were spent, "
            "so it can't be refunded.", hint="Nothing changed. Grant credits first if you want to refund anyway.",
            code="refund_spent", credits=credits, balance=balance,
        )
        self.credits = credits
        self.balance = balance


class RefundFailed(HiggsctlError):
    """Telegram refused the refund; the credits were given back."""

    default_code = "refund_failed"


class RefundPending(HiggsctlError):
    """Telegram's answer to a refund never came (network); the payment stays ``refunding``
    with its credits taken back until ``payments reconcile`` learns the outcome."""

    default_code = "refund_pending"


# --- Higgsfield API ---------------------------------------------------------------------

class HiggsfieldError(HiggsctlError):
    """An error talking to the Higgsfield API."""

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
    default_code = "service_auth"


class HiggsfieldCreditsError(HiggsfieldError):
    """The operator's Higgsfield account ran out of credits (HTTP 403)."""

    default_code = "service_credits"


class ConcurrencyLimitError(HiggsfieldError):
    default_code = "service_busy"
    retryable = True


class HiggsfieldValidationError(HiggsfieldError):
    default_code = "service_rejected"


class HiggsfieldNotFound(HiggsfieldError):
    default_code = "service_not_found"


class HiggsfieldServerError(HiggsfieldError):
    default_code = "service_unavailable"
    retryable = True


class HiggsfieldRateLimited(HiggsfieldServerError):
    """HTTP 429; ``retry_after`` is the server's Retry-After in seconds, if it sent one."""

    default_code = "service_rate_limited"

    def __init__(self, message: str, hint: str | None = None, *, retry_after: float | None = None, **kwargs) -> None:
        super().__init__(message, hint, **kwargs)
        self.retry_after = retry_after


class HiggsfieldNetworkError(HiggsfieldError):
    default_code = "service_unreachable"
    retryable = True


class HiggsfieldTimeout(HiggsfieldError):
    """A request (or a whole generation) took longer than allowed."""

    default_code = "service_timeout"
    retryable = True


class DownloadTooLarge(HiggsfieldError):
    default_code = "result_too_large"


class AlreadyHeld(HiggsctlError):
    """A hold under this origin key exists (the same press handled before, by this process or
    another): nothing was held again."""

    default_code = "already_held"

    def __init__(self, origin_key: str) -> None:
        super().__init__(f"A generation was already started by {origin_key!r}; nothing was held again.",
                         origin_key=origin_key)
        self.origin_key = origin_key
