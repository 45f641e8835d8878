"""Running any face against the built-in sandbox instead of the real API (`--sandbox`)."""

from __future__ import annotations

from dataclasses import replace

from higgsctl.engine.config import SANDBOX_KEY, Settings
from higgsctl.sandbox import AppSpec, Sandbox, SandboxOptions


def sandbox_options(settings: Settings, **overrides) -> SandboxOptions:
    """A sandbox that accepts this config's key (or the built-in sandbox key when none is
    set) and knows exactly the applications of the configured model catalog."""
    hf = settings.higgsfield
    key, secret = (hf.api_key, hf.api_secret) if hf.has_credentials else SANDBOX_KEY
    applications = {}
    for spec in settings.models.values():
        app = AppSpec(reference_field=spec.reference_field, max_references=spec.max_references,
                      aspect_ratios=("auto", *spec.aspect_ratios))
        applications[spec.application] = app
        if spec.edit_application:
            applications[spec.edit_application] = app
    return SandboxOptions(key_id=key, key_secret=secret, applications=applications, **overrides)


def settings_for_sandbox(settings: Settings, sandbox: Sandbox) -> Settings:
    """The same settings, pointed at a running sandbox, polling at a pace that suits it."""
    options = sandbox.options
    hf = replace(
        settings.higgsfield, base_url=sandbox.base_url, api_key=options.key_id, api_secret=options.key_secret,
        poll_initial=0.25, poll_max=1.0,
    )
    return replace(settings, higgsfield=hf)
