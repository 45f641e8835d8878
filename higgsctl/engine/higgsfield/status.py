"""Typed values for a Higgsfield request's status, parsed tolerantly from the API's JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from higgsctl.engine.errors import HiggsfieldServerError


class Status(StrEnum):
    QUEUED = "queued"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    NSFW = "nsfw"
    CANCELED = "canceled"

    @property
    def terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset({Status.COMPLETED, Status.FAILED, Status.NSFW, Status.CANCELED})
_ALIASES = {"cancelled": Status.CANCELED, "in-progress": Status.IN_PROGRESS}


def _malformed(what: str) -> HiggsfieldServerError:
    return HiggsfieldServerError(
        f"Higgsfield sent a malformed status response: {what}.",
        hint="This is usually transient; try again later.",
        status_code=200,
    )


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _image_urls(data: dict[str, Any]) -> tuple[str, ...]:
    """``images[].url`` is official; bare strings, ``image_url`` keys and a webhook
    ``payload`` envelope are accepted defensively."""
    images = data.get("images")
    if images is None and isinstance(data.get("payload"), dict):
        images = data["payload"].get("images")
    if isinstance(images, (dict, str)):
        images = [images]
    if not isinstance(images, list):
        return ()
    urls: list[str] = []
    for item in images:
        if isinstance(item, str):
            url = item
        elif isinstance(item, dict):
            url = item.get("url") or item.get("image_url")
        else:
            continue
        if isinstance(url, str) and url:
            urls.append(url)
    return tuple(urls)


@dataclass(frozen=True)
class RequestStatus:
    request_id: str
    status: Status
    status_url: str | None
    cancel_url: str | None
    image_urls: tuple[str, ...] = ()
    error: str | None = None
    raw: dict = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> RequestStatus:
        if not isinstance(data, dict):
            raise _malformed(f"expected an object, got {type(data).__name__}")
        request_id = data.get("request_id")
        if not isinstance(request_id, str) or not request_id:
            raise _malformed("no request_id")
        value = data.get("status")
        if not isinstance(value, str):
            raise _malformed("no status")
        key = value.strip().lower()
        try:
            status = _ALIASES.get(key) or Status(key)
        except ValueError:
            raise _malformed(f"unknown status {value[:40]!r}") from None
        error = data.get("error")
        if error is not None and not isinstance(error, str):
            error = str(error)
        return cls(
            request_id=request_id,
            status=status,
            status_url=_str_or_none(data.get("status_url")),
            cancel_url=_str_or_none(data.get("cancel_url")),
            image_urls=_image_urls(data),
            error=error or None,
            raw=dict(data),
        )
