"""Per-user file store: ``users/{id}/last_uploads``, ``results`` and ``used``, as in the old bot.

Nothing that comes from outside (file names from Telegram, ids, extensions) ever reaches a
path unchecked: names are reduced to a safe basename and every final path is verified to lie
inside the store root.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path

from .errors import InvalidInput
from .object_store import ObjectStore
from .partfiles import durable_replace

KINDS = ("last_uploads", "results", "used")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".gif"}


def safe_name(name: str, default: str = "file") -> str:
    """A file name with no directory part, no leading dots and only harmless characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).lstrip(".")[:120]
    return base or default


class FileStore:
    """``objects``: an S3 bucket under the local directory (object_store.py), or None."""

    def __init__(self, root: Path, objects: ObjectStore | None = None) -> None:
        self.root = root.expanduser().resolve()
        self.objects = objects

    def publish(self, path: Path) -> None:
        """Share a file the store now keeps with the other machines (a no-op without a bucket)."""
        if self.objects is not None:
            self.objects.put(self.relative(path), self.inside(path))

    def user_dir(self, user_id: int, kind: str) -> Path:
        if kind not in KINDS:
            raise InvalidInput(f"Unknown storage area {kind!r}.")
        if not isinstance(user_id, int):
            raise InvalidInput(f"User id must be an integer, not {user_id!r}.")
        path = self.root / "users" / str(user_id) / kind
        path.mkdir(parents=True, exist_ok=True)
        return path

    def inside(self, path: Path) -> Path:
        """``path`` resolved, if it lies inside the store; InvalidInput otherwise."""
        resolved = (self.root / path).resolve()
        if not resolved.is_relative_to(self.root):
            raise InvalidInput(f"Path {str(path)!r} is outside the file store.")
        return resolved

    def locate(self, relative: str | Path) -> Path:
        """A stored file by its recorded path; an upload recorded just before it was moved
        to ``used`` is found there; with a bucket, a file written on another machine is
        fetched from it first. Blocking: run it on a worker thread."""
        path = self.inside(Path(relative))
        if path.exists():
            return path
        candidates = [path]
        swap = {"last_uploads": "used", "used": "last_uploads"}.get(path.parent.name)
        if swap is not None:  # an upload is moved to `used` once paid for
            candidates.append(path.parent.with_name(swap) / path.name)
        for candidate in candidates:
            if candidate.exists() or (self.objects is not None and self.objects.fetch(self.relative(candidate), candidate)):
                return candidate
        return path

    def relative(self, path: Path) -> str:
        return self.inside(path).relative_to(self.root).as_posix()

    def save_upload(self, user_id: int, data: bytes, name: str) -> Path:
        """Store a reference photo a user sent; returns its path."""
        stem = safe_name(name, "upload")
        path = self.user_dir(user_id, "last_uploads") / f"{uuid.uuid4().hex[:8]}-{stem}"
        _atomic_write(path, data)
        self.publish(path)
        return path

    def adopt_reference(self, user_id: int, source: Path) -> Path:
        """Copy a reference file given on the command line into the user's uploads."""
        dest = self.user_dir(user_id, "last_uploads") / f"{uuid.uuid4().hex[:8]}-{safe_name(source.name, 'ref')}"
        shutil.copyfile(source, dest)
        self.publish(dest)
        return dest

    def save_broadcast_photo(self, source: Path) -> Path:
        """Keep a broadcast's photo in the store, so the bot process (maybe on another
        machine's mount) can send it after the CLI that was given the file has exited."""
        folder = self.root / "broadcasts"
        folder.mkdir(parents=True, exist_ok=True)
        dest = folder / f"{uuid.uuid4().hex[:8]}-{safe_name(source.name, 'photo')}"
        _atomic_write(dest, source.read_bytes())
        self.publish(dest)
        return dest

    def result_path(self, user_id: int, generation_id: int, index: int, extension: str) -> Path:
        ext = extension.lower() if extension.lower() in IMAGE_EXTENSIONS else ".png"
        return self.user_dir(user_id, "results") / f"{int(generation_id)}-{int(index)}{ext}"

    def retire_uploads(self, user_id: int, paths: list[Path]) -> list[Path]:
        """Move used reference photos from last_uploads to used; returns their new paths."""
        used = self.user_dir(user_id, "used")
        moved = []
        for path in paths:
            source = self.inside(path)
            if source.parent != self.user_dir(user_id, "last_uploads") or not source.exists():
                moved.append(source)
                continue
            dest = used / source.name
            os.replace(source, dest)  # the bucket keeps it under its upload key: locate looks there too
            moved.append(dest)
        return moved


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as handle:
        handle.write(data)
        durable_replace(handle, tmp, path)
