"""Opening the engine for a face, a test or a bench: ``async with open_engine(settings) as
engine``, against Higgsfield or behind the built-in sandbox (`--sandbox`).

The engine knows nothing of the sandbox: this module, above both, starts it when asked and
hands the engine its URL and key through the settings.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import TYPE_CHECKING

from higgsctl.engine.config import SANDBOX_KEY, Settings

if TYPE_CHECKING:  # the faces import this module; aiohttp and peewee load only when used
    from higgsctl.engine import Engine
    from higgsctl.sandbox import Sandbox, SandboxOptions


def sandbox_options(settings: Settings, **overrides) -> SandboxOptions:
    """A sandbox that accepts this config's key (or the built-in sandbox key when none is
    set) and knows exactly the applications of the configured model catalog."""
    from higgsctl.sandbox import AppSpec, SandboxOptions

    hf = settings.higgsfield
    key, secret = (hf.api_key, hf.api_secret) if hf.has_credentials else SANDBOX_KEY
    applications = {}
    for spec in settings.models.values():
        app = AppSpec(reference_field=spec.reference_field, max_references=spec.max_references,
                      aspect_ratios=("auto", *spec.aspect_ratios))
        applications[spec.application] = app
        if spec.edit_application:
            applications[spec.edit_application] = app
    overrides.setdefault("webhook_secrets", tuple(hf.webhook_secret.split()))
    return SandboxOptions(key_id=key, key_secret=secret, applications=applications, **overrides)


def settings_for_sandbox(settings: Settings, sandbox: Sandbox) -> Settings:
    """The same settings, pointed at a running sandbox, polling at a pace that suits it."""
    options = sandbox.options
    hf = replace(
        settings.higgsfield, base_url=sandbox.base_url, api_key=options.key_id, api_secret=options.key_secret,
        poll_initial=0.25, poll_max=1.0,
    )
    return replace(settings, higgsfield=hf)


@contextlib.asynccontextmanager
async def open_engine(settings: Settings, *, sandbox: bool | SandboxOptions | Sandbox = False,
                      transport=None) -> AsyncIterator[Engine]:
    """The engine for ``settings``, closed on exit; ``engine.settings`` are the ones it runs on.

    ``sandbox``: False, the configured Higgsfield; True, a built-in sandbox for this config
    (``sandbox_options(settings)``), or one with the given ``SandboxOptions``, started here and
    stopped after the engine closes; a running ``Sandbox``, used as it is (its owner stops it).
    """
    from higgsctl.engine import Engine

    async with contextlib.AsyncExitStack() as stack:
        if sandbox is not False:
            from higgsctl.sandbox import Sandbox, SandboxOptions

            if not isinstance(sandbox, Sandbox):
                options = sandbox if isinstance(sandbox, SandboxOptions) else sandbox_options(settings)
                sandbox = await stack.enter_async_context(Sandbox(options))
            settings = settings_for_sandbox(settings, sandbox)
        engine = Engine(settings, transport=transport)
        stack.push_async_callback(engine.aclose)
        yield engine
