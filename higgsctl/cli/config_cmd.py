"""`higgsctl config`: write, locate, show (secrets masked) and check the configuration."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from . import render
from .context import group

app = group("Write, locate, show and check the configuration.")

ENV_OVERRIDES = ("HIGGSCTL_HOME", "HF_KEY", "HF_API_KEY", "HF_API_SECRET", "HIGGSCTL_TELEGRAM_TOKEN",
                 "HIGGSCTL_DATABASE_URL", "HIGGSCTL_BASE_URL", "HIGGSCTL_SENTRY_DSN")
SECRET_KEYS = {("higgsfield", "api_key"), ("higgsfield", "api_secret"), ("telegram", "token"),
               ("telegram", "webhook_secret"), ("observability", "sentry_dsn")}
SECTIONS = ("higgsfield", "telegram", "credits", "limits", "observability")


@app.command()
def init(force: Annotated[bool, typer.Option("--force", help="Overwrite an existing config file.")] = False) -> None:
    """Write a commented config file, asking for your secrets (hidden input; Enter skips).

    The file is created with mode 0600. Secrets may instead come from the environment
    (HF_KEY, HIGGSCTL_TELEGRAM_TOKEN), which wins over the file.

    \b
    Examples:
      higgsctl config init
      higgsctl config init --force
    """
    from importlib.resources import files

    from higgsctl.engine import InvalidInput, config_path, load_settings

    path = config_path()
    if path.exists() and not force:
        raise InvalidInput(f"{path} already exists.", hint="Pass --force to replace it, or edit it by hand.")
    key = typer.prompt("Higgsfield API key id (or id:secret)", default="", show_default=False, hide_input=True, err=True)
    secret = "" if ":" in key else typer.prompt("Higgsfield API key secret", default="", show_default=False, hide_input=True, err=True)
    if ":" in key:
        key, secret = key.split(":", 1)
    token = typer.prompt("Telegram bot token", default="", show_default=False, hide_input=True, err=True)
    admins = typer.prompt("Telegram admin ids, comma-separated", default="", show_default=False, err=True)
    text = (files("higgsctl") / "config.example.toml").read_text(encoding="utf-8")
    text = fill_template(text, key.strip(), secret.strip(), token.strip(), parse_ids(admins))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)  # an existing file keeps its old mode otherwise
        handle.write(text)
    load_settings(path)  # what we wrote must load
    render.line(str(path))
    render.note("[green]Wrote[/] the config (mode 0600). Next: [bold]higgsctl config check --online[/]")


def parse_ids(text: str) -> list[int]:
    from higgsctl.engine import InvalidInput

    ids = [part.strip() for part in text.replace(" ", ",").split(",") if part.strip()]
    if not all(part.lstrip("-").isdigit() for part in ids):
        raise InvalidInput(f"Admin ids must be numeric Telegram user ids, got {text!r}.", hint="Nothing was written.")
    return [int(part) for part in ids]


def fill_template(text: str, key: str, secret: str, token: str, admins: list[int]) -> str:
    """Put the answers into the example config, leaving every comment in place."""
    import json
    import re

    def put(pattern: str, value: str) -> None:
        nonlocal text
        text = re.sub(pattern, lambda m: m.group(1) + value, text, count=1, flags=re.MULTILINE)

    if key:
        put(r'^(api_key = )""$', json.dumps(key))
    if secret:
        put(r'^(api_secret = )""$', json.dumps(secret))
    if token:
        put(r'^(token = )""$', json.dumps(token))
    if admins:
        put(r"^(admin_ids = )\[\]$", json.dumps(admins))
    return text


@app.command()
def path() -> None:
    """Print where the config file lives (it may not exist yet).

    \b
    Example:
      $EDITOR "$(higgsctl config path)"
    """
    from higgsctl.engine import config_path

    render.line(str(config_path()))


@app.command()
def show(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Show the effective settings (file + environment + defaults). Secrets are masked.

    \b
    Example:
      higgsctl config show --json
    """
    from .context import load_settings

    from .context import redactor

    data = effective(load_settings(), redactor())
    if json_out:
        render.print_json(data)
        return
    for key in ("config_path", "config_exists", "data_dir", "database_url", "storage_path", "log_dir", "log_level"):
        render.line(f"{key} = {data[key]}")
    render.line(f"env_overrides = {', '.join(data['env_overrides']) or 'none'}")
    for section in SECTIONS:
        render.line(f"\n[{section}]")
        for key, value in data[section].items():
            render.line(f"{key} = {value}")
    render.line("\n[models]")
    for key, spec in data["models"].items():
        render.line(f"{key} = {spec['label']}, {spec['price']} credits, {spec['application']}")


def effective(settings, redact) -> dict:
    """The settings as shown: secret keys masked, and every other value redacted (a webhook
    URL may carry the token, a database URL its password)."""
    from dataclasses import asdict

    data = {
        "config_path": str(settings.config_path), "config_exists": settings.config_path.exists(),
        "data_dir": str(settings.data_dir), "database_url": redact(settings.database_url),
        "storage_path": str(settings.storage_path), "log_dir": str(settings.log_dir), "log_level": settings.log_level,
        "env_overrides": [name for name in ENV_OVERRIDES if os.environ.get(name)],
    }
    for section in SECTIONS:
        values = asdict(getattr(settings, section))
        data[section] = {k: render.mask_secret(v) if (section, k) in SECRET_KEYS
                         else redact(v) if isinstance(v, str) else (list(v) if isinstance(v, tuple) else v)
                         for k, v in values.items()}
    data["models"] = {key: {**asdict(spec), "aspect_ratios": list(spec.aspect_ratios)} for key, spec in settings.models.items()}
    return data


@app.command()
def check(online: Annotated[bool, typer.Option("--online", help="Also call Telegram getMe and probe the Higgsfield key.")] = False) -> None:
    """Validate the configuration; with --online, also try the Telegram token and the
    Higgsfield key against the real APIs. Exit 3 on a config/credential problem, 4 on a
    network/API problem.

    \b
    Examples:
      higgsctl config check
      higgsctl config check --online
    """
    from .checks import offline_checks, online_checks
    from .context import load_settings, redactor

    settings = load_settings()  # raises ConfigError (exit 3) for a broken file
    results = offline_checks(settings)
    if online:
        import asyncio

        results += asyncio.run(online_checks(settings))
    marks = {"ok": "[green]ok  [/]", "warn": "[yellow]warn[/]", "fail": "[red]FAIL[/]"}
    redact = redactor()
    for level, message, _code in results:
        render.out().print(f"{marks[level]} {render.escape(redact(message))}")
    failures = [code for level, _m, code in results if level == "fail"]
    if failures:
        render.error(f"{len(failures)} check(s) failed.")
        raise typer.Exit(min(failures))  # a credential problem (3) outranks a network one (4)
