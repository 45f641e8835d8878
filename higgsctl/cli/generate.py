"""`higgsctl generate`: price → confirm → hold → run the jobs concurrently → save files."""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from . import exit_codes, render
from .context import load_settings, open_engine, user_label

if TYPE_CHECKING:
    from higgsctl.engine import Engine, Generation, GenerationRequest, Settings

MAX_COUNT = 16
FAILED = ("failed", "nsfw", "timed_out", "canceled")


def generate(
    prompt: Annotated[str, typer.Argument(metavar="PROMPT", help="What the image should show.", show_default=False)],
    model: Annotated[Optional[str], typer.Option("--model", "-m", metavar="MODEL", help="Model key from `higgsctl models` (default: the first one).")] = None,
    aspect: Annotated[Optional[str], typer.Option("--aspect", "-a", metavar="RATIO", help="Aspect ratio, e.g. 16:9 (default: the style's, else 1:1).", show_default=False)] = None,
    ref: Annotated[Optional[list[Path]], typer.Option("--ref", "-r", metavar="FILE", help="Reference photo (JPEG/PNG/WebP/GIF); repeat for more.", show_default=False)] = None,
    count: Annotated[int, typer.Option("--count", "-n", metavar="N", min=1, max=MAX_COUNT, help="Images to generate, concurrently.")] = 1,
    style: Annotated[Optional[str], typer.Option("--style", "-s", metavar="STYLE", help="A style preset from [styles] (built in: photo, anime, oil, pixel, poster); it wraps the prompt and may bring its model and aspect.", show_default=False)] = None,
    option: Annotated[Optional[list[str]], typer.Option("--option", metavar="NAME=VALUE", help="A model option, e.g. resolution=4K (`higgsctl models` lists them); repeat for more.", show_default=False)] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", metavar="DIR", file_okay=False, help="Copy the results into this directory.", show_default=False)] = None,
    as_user: Annotated[Optional[str], typer.Option("--as", metavar="USER", help="Charge this user (Telegram id or @username) instead of the operator account.", show_default=False)] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Spend without asking (required when stdin is not a terminal).")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document instead of file paths.")] = False,
    sandbox: Annotated[bool, typer.Option("--sandbox", help="Use the built-in offline sandbox instead of Higgsfield (no keys needed).")] = False,
    queue: Annotated[bool, typer.Option("--queue", help="Hold the credits and leave the jobs to `higgsctl worker` processes; print their ids and exit.")] = False,
    service_time: Annotated[float, typer.Option("--sandbox-service-time", min=0.0, hidden=True)] = 2.0,
) -> None:
    """Generate images from a prompt and print the saved file paths.

    Shows the price and asks before spending credits (pass --yes in scripts). Progress goes
    to stderr; Ctrl-C cancels queued requests and releases their credits.

    \b
    Examples:
      higgsctl generate "a red fox in fresh snow" --aspect 16:9
      higgsctl generate "same cat, as a watercolor" --ref cat.jpg --model seedream-4.5
      higgsctl generate "logo ideas for a bakery" --count 3 --out ./logos --yes
      higgsctl generate "a tea house in the rain" --style anime --option resolution=4K -m seedream-4.5
      higgsctl generate "a lighthouse at dusk" --sandbox --yes --json
      higgsctl generate "a city of glass" --count 16 --queue --yes   # workers run them
    """
    settings = load_settings(log_to_file=True)
    if queue and sandbox:
        from higgsctl.engine import InvalidInput

        raise InvalidInput("--queue leaves the jobs to workers, and --sandbox lives only as long as this command.",
                           hint="Point [higgsfield] base_url at a running `higgsctl sandbox serve` instead.")
    choice = Choice(model, aspect, style, _options(option or []))
    plan = _prepare(settings, prompt, choice, tuple(ref or ()), count, as_user, sandbox)
    _confirm(plan, yes)
    import asyncio

    if queue:
        ids = asyncio.run(_queue_for_workers(settings, plan.requests))
        if json_out:
            render.print_json({"queued": ids})
        else:
            for generation_id in ids:
                render.line(str(generation_id))
        render.note(f"Queued {len(ids)} job(s) for `higgsctl worker`; `higgsctl history show ID` follows one.")
        return
    with _run_lock(settings, exclusive=False):
        result = asyncio.run(run_generate(settings, plan.requests, sandbox=sandbox, service_time=service_time))
    files = {row["id"]: _deliver(row["files"], out) for row in result.rows}
    if json_out:
        render.print_json(_document(result, files))
    else:
        for row in result.rows:
            for path in files[row["id"]]:
                render.line(str(path))
    _finish(result)


@dataclass(frozen=True)
class Choice:
    """What the user chose besides the prompt; None: the style's, else the default."""

    model: str | None
    aspect: str | None
    style: str | None
    options: tuple[tuple[str, str], ...]


def _options(values: list[str]) -> tuple[tuple[str, str], ...]:
    from higgsctl.engine import InvalidInput

    pairs = []
    for value in values:
        name, sep, choice = value.partition("=")
        if not sep or not name.strip() or not choice.strip():
            raise InvalidInput(f"--option {value!r} is not NAME=VALUE.", hint="Like --option resolution=4K; "
                               "`higgsctl models` lists each model's options.")
        pairs.append((name.strip(), choice.strip()))
    return tuple(pairs)


@dataclass
class Plan:
    requests: list[GenerationRequest]
    user: str
    total: int
    balance: int
    label: str


@dataclass
class Result:
    """What happened, in plain data, read back from the database after the run."""

    rows: list[dict[str, Any]]
    balance: int
    interrupted: bool = False
    kept: list[int] = field(default_factory=list)


def _prepare(settings: Settings, prompt, choice: Choice, refs, count, as_user, sandbox) -> Plan:
    """Everything that can be checked before a credit moves: input, user, key, balance."""
    from higgsctl.engine import GenerationRequest, InsufficientCredits, UserBlocked
    from higgsctl.engine.requests import check_request

    style = settings.style(choice.style) if choice.style is not None else None
    model = choice.model or (style and style.model) or next(iter(settings.models))
    offered = settings.model(model).aspect_ratios  # a style's aspect only where the model offers it
    aspect = choice.aspect or (style and style.aspect_ratio in offered and style.aspect_ratio) or "1:1"
    with open_engine(settings) as engine:
        user = engine.users.resolve(as_user) if as_user else engine.users.operator()
        request = GenerationRequest(user_id=user.id, model=model, prompt=prompt, aspect_ratio=aspect,
                                    references=refs, source="cli", style=choice.style, options=choice.options)
        checked = check_request(settings, request)
        if user.blocked:
            raise UserBlocked(f"{user_label(user)} is blocked.", hint=f"`higgsctl users unblock {user.id}` lifts it.")
        if not sandbox and not settings.higgsfield.has_credentials:
            engine.generations.client  # noqa: B018 - the engine raises its ConfigError (with the hint)
        if not sandbox:  # a rejected key or an unreachable API: say so before any credit is held
            _verify_key(settings)
        total = checked.cost * count
        if user.balance < total:
            raise InsufficientCredits(total, user.balance)
    spec = settings.model(request.model)
    label = f"{count} × {spec.label}" + (f", {style.label('en')}" if style else "")
    return Plan([request] * count, user_label(user), total, user.balance, label)


async def _queue_for_workers(settings: Settings, requests: list[GenerationRequest]) -> list[int]:
    """Hold the credits and record the jobs without a lease: any worker may take them. All
    or none: when one hold fails (the balance went meanwhile), the ones made are canceled
    and their credits released (a job a worker already submitted runs on, and is charged)."""
    from higgsctl.launch import open_engine as open_async_engine

    async with open_async_engine(settings) as engine:
        held = []
        try:
            for request in requests:
                held += await engine.generations.create_batch(request, lease=False)
        except BaseException:
            for generation in held:
                await engine.generations.cancel(generation.id)
            raise
        return [g.id for g in held]


def _verify_key(settings: Settings) -> None:
    import asyncio

    from .checks import verify_higgsfield_key

    asyncio.run(verify_higgsfield_key(settings))


def interactive() -> bool:
    return sys.stdin.isatty()


def _confirm(plan: Plan, yes: bool) -> None:
    from higgsctl.engine import InvalidInput

    summary = f"{plan.label} for {plan.total} credits from {plan.user} (balance {plan.balance})"
    if yes:
        render.note(f"[dim]{render.escape(summary)}[/]")
        return
    if not interactive():
        raise InvalidInput(f"Refusing to spend {plan.total} credits without confirmation: stdin is not a terminal.",
                           hint="Pass --yes to confirm non-interactively.")
    if not typer.confirm(f"Generate {summary}?", default=True, err=True):
        render.note("Nothing was spent.")
        raise typer.Exit(exit_codes.GENERIC)


async def run_generate(settings: Settings, requests: list[GenerationRequest], *, sandbox: bool,
                       service_time: float = 2.0) -> Result:
    """Open the engine (behind an in-process sandbox if asked), run, and read the outcome back."""
    from .render import JobProgress

    _cancel_on_termination()
    async with _engine(settings, sandbox, service_time) as engine:
        with JobProgress(render.err()) as progress:
            generations, interrupted = await run_jobs(engine, requests, progress)
        rows = [_row(engine, g) for g in generations]
        balance = await engine.run_db(engine.credits.balance, requests[0].user_id)
    kept = [g.id for g in generations if g.charge == "held"]
    return Result(rows, balance, interrupted, kept)


@contextlib.contextmanager
def _run_lock(settings: Settings, *, exclusive: bool):
    """`generate` runs share a lock; `resume` needs it alone, so it never takes over jobs
    that a live run is still driving."""
    import fcntl

    from higgsctl.engine import InvalidInput

    path = settings.data_dir / "cli-run.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB if exclusive else fcntl.LOCK_SH)
        except BlockingIOError:
            raise InvalidInput("A `higgsctl generate` is still running.", hint="Resume once it has finished.") from None
        yield


def _engine(settings: Settings, sandbox: bool, service_time: float = 2.0):
    """The engine, behind an in-process sandbox when asked (both closed on exit)."""
    from higgsctl import launch

    options = launch.sandbox_options(settings, service_time=service_time) if sandbox else False
    return launch.open_engine(settings, sandbox=options)


def _cancel_on_termination() -> None:
    """SIGTERM / SIGHUP (kill, a closed terminal) do what Ctrl-C does: queued requests are
    canceled and their credits released, instead of the process dying with holds open."""
    import asyncio
    import contextlib
    import signal

    loop, task = asyncio.get_running_loop(), asyncio.current_task()
    for sig in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, task.cancel)


def resume(
    sandbox: bool = typer.Option(False, "--sandbox", help="Resume against the built-in sandbox."),
) -> None:
    """Finish CLI generations that an earlier run left open (killed, or interrupted while
    generating): each is followed to its result and charged, or released on failure.

    \b
    Example:
      higgsctl resume
    """
    import asyncio

    settings = load_settings(log_to_file=True)
    with _run_lock(settings, exclusive=True):
        result = asyncio.run(_resume(settings, sandbox))
    if not result.rows:
        render.note("Nothing to resume.")
        return
    for row in result.rows:
        render.note(f"generation #{row['id']}: {row['status']}" + (f" ({row['error']})" if row["error"] else ""))
        for path in row["files"]:
            print(path)
    _finish(result)


async def _resume(settings: Settings, sandbox: bool) -> Result:
    import asyncio

    from .render import JobProgress

    _cancel_on_termination()
    async with _engine(settings, sandbox) as engine:
        with JobProgress(render.err()) as progress:
            tasks = await engine.generations.resume_unfinished(progress, source="cli")
            interrupted = False
            try:
                await asyncio.gather(*tasks, return_exceptions=True)
            except asyncio.CancelledError:
                interrupted = True
                await asyncio.gather(*tasks, return_exceptions=True)
        ids = [int(t.get_name().split("-")[1]) for t in tasks]
        generations = [await engine.generations.get_async(i) for i in ids]
        rows = [_row(engine, g) for g in generations]
        balance = await engine.run_db(engine.credits.balance, generations[0].user_id) if generations else 0
    return Result(rows, balance, interrupted, [g.id for g in generations if g.charge == "held"])


async def run_jobs(engine: Engine, requests: list[GenerationRequest], on_event=None) -> tuple[list[Generation], bool]:
    """The engine's batch runner (Generations.run_batch): the final generations, and whether
    we were interrupted (Ctrl-C cancels queued requests and releases their holds)."""
    return await engine.generations.run_batch(requests, on_event)


def _row(engine: Engine, g: Generation) -> dict[str, Any]:
    return {
        "id": g.id, "request_id": g.request_id, "status": g.status, "model": g.model,
        "files": [str(engine.store.inside(Path(p))) for p in g.result_files],
        "cost": g.cost, "charged": g.charge == "captured", "charge": g.charge, "error": g.error,
        "error_code": g.error_code,
    }


def _deliver(files: list[str], out: Path | None) -> list[Path]:
    if out is None:
        return [Path(f) for f in files]
    import shutil

    out.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy2(f, out / Path(f).name)).resolve() for f in files]


def _document(result: Result, files: dict[int, list[Path]]) -> dict[str, Any]:
    generations = [{**{k: v for k, v in row.items() if k not in ("charge", "error_code")},
                    "files": [str(p) for p in files[row["id"]]]}
                   for row in result.rows]
    charged = sum(row["cost"] for row in result.rows if row["charged"])
    return {"generations": generations, "credits_charged": charged, "balance": result.balance}


def _finish(result: Result) -> None:
    """Summarize on stderr and pick the exit code."""
    charged = sum(row["cost"] for row in result.rows if row["charged"])
    if result.interrupted:
        canceled = [r for r in result.rows if r["status"] == "canceled"]
        done = [r for r in result.rows if r["status"] == "completed"]
        kept = f"; kept {len(result.kept)} already generating (#{', #'.join(map(str, result.kept))}, credits held: `higgsctl resume` finishes them)" if result.kept else ""
        render.note(f"[yellow]Interrupted:[/] canceled {len(canceled)} (credits released), {len(done)} completed{kept}. "
                    f"Balance {result.balance}.")
        raise typer.Exit(exit_codes.INTERRUPTED)
    bad = [r for r in result.rows if r["status"] in FAILED]
    for row in bad:
        why = f": {row['error']}" if row["error"] else ""
        render.error(f"Generation #{row['id']} ended {row['status']}{why}.")
    if bad:
        released = sum(r["cost"] for r in bad if r["charge"] == "released")
        render.note(f"[dim]{released} credits released; {charged} charged. Balance {result.balance}.[/]")
        if any(r["error_code"] == "service_auth" for r in bad):  # the key was rejected mid-run
            render.note(render.escape("Check [higgsfield] api_key/api_secret in the config, or HF_KEY."))
            raise typer.Exit(exit_codes.CONFIG)
        raise typer.Exit(exit_codes.REFUSED)
    render.note(f"[green]Done:[/] {len(result.rows)} image(s), {charged} credits charged. Balance {result.balance}.")
