"""What every command shares: the --debug flag, loading settings and the engine lazily,
and turning errors into one red line and a documented exit code."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import typer
from typer.core import TyperGroup

from . import exit_codes, render
from .commands import MAX_WIDTH

if TYPE_CHECKING:
    from higgsctl.engine import Engine, Settings, User


@dataclass
class State:
    debug: bool = False
    settings: object = None  # the loaded Settings, for redacting error output (reset per run)
    as_admin: str = ""  # --as-admin NAME


STATE = State()
# Plain click help (no rich): `--help` stays fast, `\b` blocks keep example lines intact.
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": MAX_WIDTH}


def group(help: str | None, **kwargs) -> typer.Typer:
    """A command group with the settings every group shares."""
    kwargs.setdefault("no_args_is_help", True)
    if help is not None:  # None: the callback's docstring is the help
        kwargs["help"] = help
    return typer.Typer(rich_markup_mode=None, context_settings=CONTEXT, **kwargs)


class HiggsctlGroup(TyperGroup):
    """The root group: renders every error raised below it."""

    def parse_args(self, ctx, args):
        _plain_bool_flags(self.get_params(ctx))
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except KeyboardInterrupt:
            render.note("[yellow]Interrupted.[/]")
            raise typer.Exit(exit_codes.INTERRUPTED) from None
        except UnicodeEncodeError as exc:
            if "surrogates not allowed" not in str(exc):
                raise typer.Exit(report(exc)) from None
            # argv bytes that are not UTF-8 (Python keeps them as surrogate escapes)
            render.error("An argument contains bytes that are not valid UTF-8 text; nothing was changed.",
                         "Check the terminal's encoding (locale), or retype the text.")
            raise typer.Exit(exit_codes.USAGE) from None
        except Exception as exc:  # noqa: BLE001 - the one place errors become exit codes
            raise typer.Exit(report(exc)) from None


def _plain_bool_flags(params) -> None:
    """Typer 0.29 coerces parameters through a pydantic TypeAdapter built on first use. Its
    own --install-completion/--show-completion flags default to None, so every run built
    one and imported pydantic (~100 ms). A bool flag needs no coercion: give those flags
    a trivial one. Best effort: if Typer's internals change, nothing breaks, it is slower."""
    try:
        from dataclasses import dataclass as _dataclass

        from typer._coercion import RuntimeParam
    except ImportError:  # pragma: no cover - another Typer version
        return
    global _BoolFlag
    if _BoolFlag is None:
        @_dataclass(frozen=True)
        class _BoolFlag(RuntimeParam):  # type: ignore[no-redef]
            def _coerce_value(self, value, param, ctx):
                return value if self.annotation is str else bool(value)

    for param in params:  # the root's bool flags, and its one text option (--as-admin)
        descriptor = getattr(param, "type_descriptor", None)
        if (descriptor is not None and descriptor.annotation in (bool, str)
                and getattr(param, "_runtime_param", 0) is None):
            param._runtime_param = _BoolFlag(annotation=descriptor.annotation, parameter_info=descriptor.parameter_info)


_BoolFlag = None


def report(exc: BaseException) -> int:
    """Render an exception (traceback only with --debug) and return its exit code."""
    redact = redactor()
    if STATE.debug:
        print(redact.exception(exc), file=sys.stderr)
    errors = sys.modules.get("higgsctl.engine.errors")  # never imported → not an engine error
    if errors is not None and isinstance(exc, errors.HiggsctlError):
        render.error(redact(exc.message), exc.hint and redact(exc.hint))
        return exit_codes.for_error(exc)
    sentry = sys.modules.get("higgsctl.engine.sentry")  # never imported → Sentry is off
    if sentry is not None:
        sentry.report_crash(exc)
    render.error(redact(f"{type(exc).__name__}: {exc}"), None if STATE.debug else "Run with --debug for the traceback.")
    return exit_codes.GENERIC


def redactor():
    """The engine's redaction for this run's settings (before they are loaded, it still masks
    secret shapes). Third-party errors can quote a secret (PTB's InvalidToken quotes the token)."""
    from higgsctl.engine.redaction import Redactor

    settings = STATE.settings
    return Redactor() if settings is None else Redactor.from_settings(settings)


def load_settings(*, log_to_file: bool = False) -> Settings:
    """Settings from the config file and environment. Logging is set up only when asked
    (commands that generate) or with --debug; Sentry when asked and configured."""
    from higgsctl.engine import load_settings as _load
    from higgsctl.engine.logs import redact_last_resort, setup_logging

    settings = _load()
    STATE.settings = settings
    if log_to_file or STATE.debug:
        try:
            setup_logging(settings, console=STATE.debug, to_file=log_to_file, level="DEBUG" if STATE.debug else None)
        except OSError as exc:
            from higgsctl.engine import ConfigError

            raise ConfigError(f"Cannot write the log in {settings.log_dir}: {exc.strerror or exc}.",
                              hint="The data folder must be writable (HIGGSCTL_HOME).") from None
    else:
        redact_last_resort(settings)
    if log_to_file:  # the commands that work for long (bot run, worker, generate, resume, admin)
        from higgsctl.engine.sentry import start_sentry

        start_sentry(settings)
    return settings


@contextmanager
def open_engine(settings: Settings | None = None) -> Iterator[Engine]:
    """A synchronous engine for commands that only read and write the database."""
    from higgsctl.engine import Engine

    engine = Engine(settings or load_settings())
    try:
        yield engine
    finally:
        engine.close()


def actor(face: str = "cli", as_admin: str | None = None) -> str:
    """Who is acting, for the ledger and the audit trail: ``cli:<os user>[ as NAME]``
    (NAME: ``as_admin``, else the root's --as-admin)."""
    from higgsctl.engine.audit import operator_actor

    return operator_actor(face, as_admin or STATE.as_admin)


def confirm(question: str, yes: bool) -> None:
    """Ask before an action that moves credits or messages a user (--yes skips); Abort on no."""
    if not yes and not typer.confirm(question, default=False, err=True):
        render.note("Nothing was changed.")
        raise typer.Exit(exit_codes.GENERIC)


def user_label(user: User) -> str:
    name = f"@{user.username}" if user.username else (user.first_name or "")
    return f"{name} ({user.id})" if name else str(user.id)
