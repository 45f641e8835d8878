"""The end of a job's run: downloading and storing what Higgsfield made (a part of ``Job``,
kept apart for size; it uses the job's client, store, policy and row)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

from ..errors import DownloadTooLarge, HiggsfieldError
from ..events import DOWNLOAD_RETRY, STORAGE_RETRY, Status
from ..higgsfield import Status as Upstream
from ..models import utcnow

log = logging.getLogger("higgsctl.generations")

GONE = (404, 410)  # the result file (or the whole request) no longer exists upstream
UPSTREAM_CODES = {"failed": "upstream_failed", "nsfw": "nsfw", "canceled": "canceled"}


class ResultStorage:
    async def store_results(self, urls: tuple[str, ...] | None, *, from_webhook: bool = False) -> None:
        """Download and store the finished image(s). They are paid for upstream, so every
        transient fault (5xx, network, a full or read-only disk) is retried with backoff while
        the credits stay held, in this process or after a restart. The job ends only when the
        files are stored, Higgsfield answers they are gone (404/410), or the deadline passes.
        ``urls`` None: ask the status endpoint for them (a resume, or URLs that stopped working).
        URLs ``from_webhook`` are a shortcut: whatever fails with them (a 404 included), the
        status endpoint's URLs are fetched next, and only their answers can end the job."""
        hours = self.policy.result_deadline_hours
        deadline = (self.g.submitted_at or utcnow()) + timedelta(hours=hours)
        attempt = 0
        while True:
            try:
                if urls is None:
                    urls = await self.result_urls()
                    if not urls:  # ended: the request is not (or no longer) completed upstream
                        return
                files = await self.download_all(urls)
            except HiggsfieldError as exc:
                if from_webhook:
                    pass  # not the API's word: asked for below
                elif exc.status_code in GONE:
                    await self.end(Status.FAILED, f"the result is gone from Higgsfield: {exc.message}",
                                   error_code="result_gone")
                    return
                elif isinstance(exc, DownloadTooLarge):
                    await self.end(Status.FAILED, exc.message, error_code=exc.code)
                    return
                elif not exc.retryable:  # e.g. an expired link (403): ask for the URLs again
                    urls = None
                code, reason = DOWNLOAD_RETRY, exc.message
                if attempt & (attempt + 1) == 0:  # attempts 1, 2, 4, 8...: a long outage logs a few lines
                    log.warning("generation %s: result download failed (%s); retrying", self.g.id, reason)
            except (ConnectionError, TimeoutError) as exc:  # OSErrors too, but from the network
                code, reason = DOWNLOAD_RETRY, f"{type(exc).__name__}: {exc}"
            except OSError as exc:  # the disk is full, read-only, not ours...: the operator's to fix
                code, reason = STORAGE_RETRY, f"cannot store the result: {exc.strerror or exc}"
                self.storage.failed(self.g.id, exc)
            else:
                self.storage.works()
                await self.end(Status.COMPLETED, None, files)
                return
            attempt += 1
            if from_webhook:  # a payload's URL we can't fetch (not http, a shape we misread...)
                urls, from_webhook = None, False
            if utcnow() >= deadline:
                await self.end(Status.TIMED_OUT, f"the result was not stored within {hours:g} h: {reason}",
                               error_code="result_deadline")
                return
            await self.emit(Status.DOWNLOADING, f"retrying the download: {reason}", code)
            await self.sleep(self.policy.retry.backoff(attempt))

    async def result_urls(self) -> tuple[str, ...]:
        """The finished request's file URLs from its status; empty once the job has ended."""
        status = await self.client().status(self.g.request_id, self.g.status_url)
        if status.status is Upstream.COMPLETED:
            if not status.image_urls:
                await self.end(Status.FAILED, "the generation finished without an image", error_code="no_image")
            return status.image_urls
        if status.status.terminal:
            await self.end(status.status.value, status.error, error_code=UPSTREAM_CODES.get(status.status.value))
            return ()
        # Not final (a request we saw completed can't go back): asked again after a backoff.
        raise HiggsfieldError(f"Higgsfield reports the finished request as {status.status.value}")

    async def download_all(self, urls: tuple[str, ...]) -> list[str]:
        """Store every file (each replaces its destination atomically); their stored paths."""
        max_bytes = self.policy.max_download_bytes
        files = []
        for index, url in enumerate(urls):
            ext = Path(urlparse(url).path).suffix or ".png"
            dest = await asyncio.to_thread(self.store.result_path, self.g.user_id, self.g.id, index, ext)
            await self.client().download(url, dest, max_bytes=max_bytes, attempts=1)
            await asyncio.to_thread(self.store.publish, dest)  # to the bucket, if any: an OSError is retried
            files.append(self.store.relative(dest))
        return files
