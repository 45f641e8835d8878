"""What the root of the command line says about itself: every command (where it lives and the
first sentence of its help), the root's help and epilog. Plain data, importing nothing, so
`higgsctl --help` can be answered before Typer is imported (see quick_help.py)."""

from __future__ import annotations

from typing import Mapping, NamedTuple


class Lazy(NamedTuple):
    """Where a command lives: `module.attribute` is a Typer app (a group) or a function
    (a command, registered with `options`). `help` is the first sentence of the command's
    own help, on one line: all that the root's help lists (a test keeps the two equal)."""

    module: str
    attribute: str
    help: str
    options: Mapping[str, object] = {}


# Every command, in the order `higgsctl --help` lists them.
COMMANDS = {
    "generate": Lazy("generate", "generate", "Generate images from a prompt and print the saved file paths.",
                     {"no_args_is_help": True}),
    "resume": Lazy("generate", "resume", "Finish CLI generations that an earlier run left open (killed, or "
                   "interrupted while generating): each is followed to its result and charged, or released on failure."),
    "models": Lazy("models", "models", "List the models you can generate with: price, reference limit, aspect "
                   "ratios, options and the Higgsfield application path each is sent to."),
    "styles": Lazy("models", "styles", "List the style presets `generate --style` and the bot's Style button offer."),
    "worker": Lazy("worker", "worker", "Run generations without serving Telegram, until Ctrl-C or SIGTERM."),
    "admin": Lazy("faces", "admin", "Open the admin TUI: dashboard, users, generations, top-ups."),
    "credits": Lazy("credits", "app", "Balances, grants, the ledger and top-up requests."),
    "payments": Lazy("payments", "app", "Telegram Stars payments: list them, refund one, reconcile them with Telegram."),
    "broadcast": Lazy("broadcast", "broadcast", "Queue a message to every user of an audience; the running bot sends it.",
                      {"no_args_is_help": True}),
    "broadcasts": Lazy("broadcast", "app", "Follow, pause, resume or cancel broadcasts (the running bot sends them)."),
    "promo": Lazy("promo", "app", "Create, list and disable promo codes."),
    "users": Lazy("users", "app", "List, inspect, block and unblock users."),
    "history": Lazy("history", "app", "Past generations, newest first (or `history show ID` for one in full)."),
    "audit": Lazy("audit", "audit", "List admin actions, newest first: who did what, when, to whom, before and after."),
    "export": Lazy("export", "export", "Export users, generations or the ledger as CSV or JSON, streamed to a file or stdout."),
    "config": Lazy("config_cmd", "app", "Write, locate, show and check the configuration."),
    "db": Lazy("db", "app", "Database migrations, health and backups."),
    "sandbox": Lazy("sandbox", "app", "The built-in offline Higgsfield sandbox."),
    "bot": Lazy("faces", "bot_app", "The Telegram bot."),
}

HELP = ("Run an AI image-generation business on Higgsfield: generate images, manage users, "
        "credits and top-ups, and start the Telegram bot or the admin TUI.")
EPILOG = ("Docs: `higgsctl COMMAND --help`. Exit codes: 0 ok, 1 error, 2 usage, 3 config, 4 API, "
          "5 credits/blocked/failed, 130 interrupted.")
# The root's options as its help lists them (Typer adds the completion pair; a test keeps this true).
OPTIONS = (
    ("--debug", "Show tracebacks and log to stderr."),
    ("--version", "Print the version and exit."),
    ("--as-admin NAME", "Who you are, for the audit trail and the ledger (with your OS user)."),
    ("--install-completion", "Install completion for the current shell."),
    ("--show-completion", "Show completion for the current shell, to copy it or customize the installation."),
    ("-h, --help", "Show this message and exit."),
)
MAX_WIDTH = 100  # the help's widest line (click's max_content_width)
