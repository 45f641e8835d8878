"""The documented exit statuses of `higgsctl`. Engine errors carry their own
(`HiggsctlError.exit_code`); these names are what the CLI itself uses."""

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
    (REFUSED, "insufficient credits, blocked user, a generation ended failed / nsfw / timed out"),
    (INTERRUPTED, "interrupted (Ctrl-C)"),
)
