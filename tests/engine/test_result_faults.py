"""A finished image is paid for upstream: faults while fetching or storing it are retried
(credits held) until it is stored, Higgsfield says it is gone, or the deadline passes; also
across a restart. Real faults only: the sandbox's result-host faults and outages, and a
storage dir that is really full or read-only."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from higgsctl.engine import Engine, GenerationRequest, LedgerEntry
from higgsctl.engine.events import DOWNLOAD_RETRY, STORAGE_RETRY

from .test_generations import CRASHING_CHILD, fast

RETRY_CODES = (DOWNLOAD_RETRY, STORAGE_RETRY)


def ledger(generation_id) -> list[str]:
    entries = LedgerEntry.select().where(LedgerEntry.generation == generation_id).order_by(LedgerEntry.id)
    return [e.reason for e in entries]


def leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".part")] if root.exists() else []


def assert_charged_once(engine, generation) -> None:
    assert (generation.status, generation.charge, generation.error_code) == ("completed", "captured", None)
    assert ledger(generation.id) == ["hold"]  # never released, never held twice
    assert engine.credits.balance(generation.user_id) == 9950 and engine.credits.discrepancies() == []
    with Image.open(engine.store.inside(generation.result_files[0])) as image:
        image.verify()
    assert leftovers(engine.store.root) == []


class Watcher:
    """An on_event handler that checks, at every retry, that the job is still open with its
    credits held and no partial file on disk; ``repair`` runs at the Nth retry."""

    def __init__(self, engine, *, repair_after: int = 0, repair=None, on_downloading=None):
        self.engine, self.repair_after, self.repair, self.on_downloading = engine, repair_after, repair, on_downloading
        self.events, self.retries = [], 0

    async def __call__(self, event) -> None:
        self.events.append(event)
        if event.status == "downloading" and event.code is None and self.on_downloading:
            await self.on_downloading()
        if event.code in RETRY_CODES:
            self.retries += 1
            row = self.engine.generations.get(event.generation_id)
            assert (row.status, row.charge) == ("downloading", "held")
            assert leftovers(self.engine.store.root) == []
            if self.retries == self.repair_after and self.repair:
                await self.repair()


@pytest.mark.parametrize("fault", ["4x503", "3 resets midway", "5x503 then 2 resets", "outage",
                                   "2 HTML error pages as 200", "2 bodies cut short as 200", "every kind"])
async def test_transient_result_faults_keep_the_image_and_charge_once(settings, sandbox, database_url, fault):
    engine = Engine(replace(fast(settings, sandbox), database_url=database_url))
    engine.users.register(1)
    options = sandbox.options
    if fault == "outage":  # the whole service drops off the network as the image is fetched
        watcher = Watcher(engine, on_downloading=sandbox.go_offline, repair_after=3, repair=sandbox.go_online)
    else:
        options.result_failures = {"4x503": 4, "5x503 then 2 resets": 5, "every kind": 1}.get(fault, 0)
        options.result_resets = {"3 resets midway": 3, "5x503 then 2 resets": 2, "every kind": 1}.get(fault, 0)
        options.result_html_pages = {"2 HTML error pages as 200": 2, "every kind": 1}.get(fault, 0)
        options.result_cut_short = {"2 bodies cut short as 200": 2, "every kind": 1}.get(fault, 0)
        watcher = Watcher(engine)
    async with asyncio.timeout(30):
        generation = await engine.generations.run(GenerationRequest(1, "nano-banana", "fragile", "1:1"), watcher)
    assert_charged_once(engine, generation)
    expected = 3 if fault == "outage" else (options.result_failures + options.result_resets
                                            + options.result_html_pages + options.result_cut_short)
    assert watcher.retries == expected and sandbox.stats.downloads == 1
    assert {e.code for e in watcher.events if e.code} == {DOWNLOAD_RETRY}
    await engine.aclose()


async def test_a_result_file_gone_upstream_ends_the_job_and_releases(gen_engine):
    """410 from the file host (deleted after retention); a 404 of the whole request is below."""
    generation = await gen_engine.generations.run(GenerationRequest(1, "nano-banana", "[sandbox:result_gone]", "1:1"))
    assert (generation.status, generation.charge, generation.error_code) == ("failed", "released", "result_gone")
    assert ledger(generation.id) == ["hold", "release"]
    assert gen_engine.credits.balance(1) == 10000 and leftovers(gen_engine.store.root) == []


async def test_the_result_deadline_ends_a_job_that_can_never_be_fetched(settings, sandbox):
    engine = Engine(fast(settings, sandbox, result_deadline_hours=1.0 / 3600))
    engine.users.register(1)
    sandbox.options.result_failures = 10**9
    watcher = Watcher(engine)
    async with asyncio.timeout(30):
        generation = await engine.generations.run(GenerationRequest(1, "nano-banana", "never", "1:1"), watcher)
    assert (generation.status, generation.charge, generation.error_code) == ("timed_out", "released", "result_deadline")
    assert watcher.retries >= 1 and ledger(generation.id) == ["hold", "release"]
    assert engine.credits.balance(1) == 10000 and leftovers(engine.store.root) == []
    await engine.aclose()


# --- after a restart ------------------------------------------------------------------------


async def crash_while_downloading(settings, sandbox) -> Engine:
    """A process dies (os._exit) the moment its image is finished upstream; returns the
    next process's engine, with the job left `downloading` and its credits held."""
    child = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", CRASHING_CHILD, sandbox.base_url, "downloading"], timeout=60)
    assert child.returncode == 17
    engine = Engine(fast(settings, sandbox, generation_timeout=0.5))  # long past: only the result deadline counts
    [left] = engine.generations.unfinished()
    assert (left.status, left.charge, left.result_files) == ("downloading", "held", [])
    return engine


async def test_a_restart_finishes_a_downloading_job_even_while_the_service_is_down(settings, sandbox):
    engine = await crash_while_downloading(settings, sandbox)
    await sandbox.go_offline()  # the resumed job must ask for the result URLs again: they fail first
    watcher = Watcher(engine, repair_after=1, repair=sandbox.go_online)
    async with asyncio.timeout(30):
        [generation] = await asyncio.gather(*await engine.generations.resume_unfinished(watcher))
    assert_charged_once(engine, generation)
    assert watcher.retries == 1 and sandbox.stats.submits == 1 and sandbox.stats.downloads == 1
    assert await engine.generations.resume_unfinished() == []
    await engine.aclose()


async def test_a_restart_after_the_request_was_purged_upstream_releases_once(settings, sandbox):
    engine = await crash_while_downloading(settings, sandbox)
    [left] = engine.generations.unfinished()
    del sandbox.requests[left.request_id]  # deleted upstream (DELETE /requests/{id}): status answers 404
    [generation] = await asyncio.gather(*await engine.generations.resume_unfinished())
    assert (generation.status, generation.charge, generation.error_code) == ("failed", "released", "result_gone")
    assert ledger(generation.id) == ["hold", "release"] and engine.credits.balance(1) == 10000
    await engine.aclose()


# --- storage that really is full or read-only ------------------------------------------------


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True)


@contextlib.contextmanager
def tmpfs(path: Path, size: str):
    """A real, tiny filesystem at ``path`` (root only); skips the test where mounting is impossible."""
    path.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    try:
        _run("mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path))
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def fill(path: Path) -> Path:
    filler = path / "filler"
    with open(filler, "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


@contextlib.contextmanager
def broken_storage(kind: str, path: Path):
    """Yields (storage root, repair): a full disk (ENOSPC), a read-only filesystem (EROFS), or
    without root a directory we may not write (EACCES)."""
    if kind == "no permission":
        if os.geteuid() == 0:
            pytest.skip("root ignores permission bits (the tmpfs cases cover root)")
        path.mkdir()
        path.chmod(0o555)

        async def repair() -> None:
            path.chmod(0o755)

        try:
            yield path, repair
        finally:
            path.chmod(0o755)
        return
    with tmpfs(path, "256k") as root:
        if kind == "full disk":
            filler = fill(root)

            async def repair() -> None:
                filler.unlink()
        else:
            _run("mount", "-o", "remount,ro", str(root))

            async def repair() -> None:
                _run("mount", "-o", "remount,rw", str(root))
        yield root, repair


@pytest.mark.parametrize("kind", ["full disk", "read-only filesystem", "no permission"])
async def test_unwritable_storage_keeps_the_job_held_and_is_reported_once(settings, sandbox, tmp_path, caplog, kind):
    with broken_storage(kind, tmp_path / "storage") as (root, repair):
        engine = Engine(replace(fast(settings, sandbox), storage_path=root))
        engine.users.register(1)
        watcher = Watcher(engine, repair_after=4, repair=repair)
        with caplog.at_level(logging.INFO, logger="higgsctl"):
            async with asyncio.timeout(30):
                generation = await engine.generations.run(GenerationRequest(1, "nano-banana", "disk", "1:1"), watcher)
        assert_charged_once(engine, generation)
        assert watcher.retries == 4 and {e.code for e in watcher.events if e.code} == {STORAGE_RETRY}
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1 and str(root) in errors[0].getMessage(), [r.getMessage() for r in errors]
        assert "works again" in caplog.text
        await engine.aclose()
