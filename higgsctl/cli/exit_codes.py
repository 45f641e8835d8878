"""The documented exit statuses of `higgsctl`, and which engine error exits with which."""

from __future__ import annotations

OK = 0
GENERIC = 1  # unexpected errors, a declined confirmation, books that don't balance
USAGE = 2  # bad arguments, invalid input, unknown user/model/id
CONFIG = 3  # configuration or credentials (incl. an API key the server rejects)
API = 4  # Higgsfield/Telegram API or network trouble
REFUSED = 5  # not enough credits, blocked user, a generation that failed/nsfw/timed out
INTERRUPTED = 130  # Ctrl-C

TABLE = (
    (OK, "success"),
    (GENERIC, "unexpected error; declined confirmation; `db status` found books that don't balance"),
    (USAGE, "usage error, invalid input, unknown user / model / id"),
    (CONFIG, "configuration problem, missing or rejected credentials"),
    (API, "Higgsfield or Telegram API / network error"),
    (REFUSED, "insufficient credits, blocked user, a generation ended failed / nsfw / timed out, a refund of spent credits"),
    (INTERRUPTED, "interrupted (Ctrl-C)"),
)

#: Engine error class name → exit status; the nearest class in an error's MRO decides.
#: By name, so that rendering an error never imports the engine.
BY_ERROR = {
    "HiggsfieldAuthError": CONFIG,  # a rejected key is configuration, not an API fault
    "HiggsfieldError": API,
    "ConfigError": CONFIG,
    "InvalidInput": USAGE,
    "NotFound": USAGE,
    "TopUpPending": USAGE,
    "InsufficientCredits": REFUSED,
    "UserBlocked": REFUSED,
    "RefundRefused": REFUSED,  # the credits were spent
    "RefundFailed": API,
    "RefundPending": API,
    "HiggsctlError": GENERIC,
}


def for_error(exc: BaseException) -> int:
    """The exit status of an engine error (GENERIC for anything else)."""
    for cls in type(exc).__mro__:
        if cls.__module__ == "higgsctl.engine.errors" and cls.__name__ in BY_ERROR:
            return BY_ERROR[cls.__name__]
    return GENERIC
