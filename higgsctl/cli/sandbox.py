"""`higgsctl sandbox serve`: the built-in offline Higgsfield, over HTTP, until Ctrl-C."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from . import render
from .context import group, load_settings

app = group("The built-in offline Higgsfield sandbox.")


@app.command()
def serve(
    port: Annotated[int, typer.Option("--port", "-p", metavar="PORT", min=0, max=65535, help="TCP port (0: any free port, printed).")] = 8787,
    host: Annotated[str, typer.Option("--host", metavar="HOST", help="Interface to listen on.")] = "127.0.0.1",
    service_time: Annotated[float, typer.Option("--service-time", metavar="SECONDS", min=0.0, help="Seconds each job takes.")] = 2.0,
    fault: Annotated[Optional[str], typer.Option("--fault", metavar="FAULT", help="Fault for every job: nsfw, failed, credits, concurrency, server_error, slow, malformed, timeout, unauthorized.", show_default=False)] = None,
    key: Annotated[Optional[str], typer.Option("--key", metavar="KEY", help="Key id the sandbox accepts.", show_default=False)] = None,
    secret: Annotated[Optional[str], typer.Option("--secret", metavar="SECRET", help="Key secret the sandbox accepts.", show_default=False)] = None,
) -> None:
    """Serve a Higgsfield-compatible API on loopback for demos and tests (Ctrl-C stops).

    Point higgsctl (or any Higgsfield client) at it with HIGGSCTL_BASE_URL and the key it
    prints. Per-request faults: put [sandbox:nsfw], [sandbox:failed], ... in a prompt.

    \b
    Examples:
      higgsctl sandbox serve --port 8787 --service-time 5
      HIGGSCTL_BASE_URL=http://127.0.0.1:8787 HF_KEY=sandbox:sandbox-secret higgsctl generate "a fox" --yes
    """
    from dataclasses import replace

    from higgsctl.engine import InvalidInput
    from higgsctl.engine.config import SANDBOX_KEY
    from higgsctl.launch import sandbox_options
    from higgsctl.sandbox import serve as run_sandbox

    settings = load_settings()
    if (key is None) != (secret is None):
        raise InvalidInput("Pass --key and --secret together.")
    try:
        options = sandbox_options(settings, service_time=service_time, fault=fault)
    except ValueError as exc:  # unknown fault
        raise InvalidInput(str(exc)) from None
    if key is not None:
        options = replace(options, key_id=key, key_secret=secret)
    shown = (options.key_id, options.key_secret)
    credentials = f"{shown[0]}:{shown[1]}" if key is not None or shown == SANDBOX_KEY else "your configured Higgsfield key"

    def announce(base: str) -> None:  # once listening: the first line means it answers
        render.note(f"Sandbox on [bold]{base}[/] (service time {service_time:g} s"
                    f"{', fault ' + render.escape(fault) if fault else ''}); key: {render.escape(credentials)}")
        render.note(f"[dim]Use it: HIGGSCTL_BASE_URL={base} HF_KEY=<key> higgsctl generate ...  (Ctrl-C stops)[/]")

    try:
        run_sandbox(options, host, port, on_ready=announce)
    except OSError as exc:
        raise InvalidInput(f"Cannot listen on {host}:{port}: {exc.strerror or exc}.",
                           hint="Pick another --port, or stop what is using it.") from None
    render.note("Sandbox stopped.")
