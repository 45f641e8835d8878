"""A process killed (SIGKILL) while it streams a result leaves its ``.part`` file behind; the
next download of that file removes it, and never a part another live process still writes."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap

from aiohttp import web

from higgsctl.engine.partfiles import PARTS, open_part

from .test_result_faults import assert_charged_once, crash_while_downloading, leftovers

DOWNLOADING_CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from higgsctl.engine.higgsfield import HiggsfieldClient

    async def main():
        async with HiggsfieldClient("http://127.0.0.1:1", "k", "s") as client:
            await client.download(sys.argv[1], Path(sys.argv[2]), max_bytes=10**9, attempts=1)

    asyncio.run(main())
    """
)


async def endless_result_host():
    """Announces a big PNG, sends its first bytes, then never finishes."""
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "image/png"})
        response.content_length = 10**8
        await response.prepare(request)
        await response.write(b"\x89PNG\r\n\x1a\n" + b"\0" * 65536)
        await asyncio.Event().wait()
        return response

    app = web.Application()
    app.router.add_get("/{name}", handler)
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}/0.png"


async def kill_mid_download(url: str, dest) -> None:
    """Run a real download in another process and SIGKILL it once its part file has data."""
    child = await asyncio.create_subprocess_exec(sys.executable, "-c", DOWNLOADING_CHILD, url, str(dest))
    try:
        async with asyncio.timeout(30):
            while not any(p.stat().st_size for p in (dest.parent / PARTS).glob(f"{dest.name}.*.part")):
                assert child.returncode is None
                await asyncio.sleep(0.02)  # waiting on a condition another process makes true
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()


async def test_a_part_left_by_a_killed_process_is_removed_and_a_live_one_kept(settings, sandbox):
    engine = await crash_while_downloading(settings, sandbox)
    [left] = engine.generations.unfinished()
    dest = engine.store.result_path(left.user_id, left.id, 0, ".png")
    runner, url = await endless_result_host()
    try:
        await kill_mid_download(url, dest)
    finally:
        await runner.cleanup()
    assert len(leftovers(engine.store.root)) == 1
    live_part, live = open_part(dest)  # another process still writing this very file
    try:
        async with asyncio.timeout(30):
            [generation] = await asyncio.gather(*await engine.generations.resume_unfinished())
        assert leftovers(engine.store.root) == [live_part]
    finally:
        live.close()
        os.unlink(live_part)
    assert_charged_once(engine, generation)
    await engine.aclose()
