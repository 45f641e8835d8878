"""File storage and image handling for the Telegram Bot API emulator."""

from __future__ import annotations

import io
import itertools
import mimetypes
import secrets
from dataclasses import dataclass, field

from PIL import Image

from .emulator_formatting import bad_request

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # getFile limit of the public Bot API
THUMB_SIDES = (90, 320)


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    kind: str  # "photo" | "document"
    mime_type: str | None = None
    file_name: str | None = None
    width: int | None = None
    height: int | None = None
    photo_sizes: list[str] = field(default_factory=list)  # file_ids of the whole PhotoSize set

    @property
    def file_size(self) -> int:
        return len(self.data)

    def photo_size_json(self) -> dict:
        return {
            "file_id": self.file_id, "file_unique_id": self.file_unique_id,
            "width": self.width, "height": self.height, "file_size": self.file_size,
        }

    def document_json(self) -> dict:
        doc = {"file_id": self.file_id, "file_unique_id": self.file_unique_id, "file_size": self.file_size}
        if self.file_name:
            doc["file_name"] = self.file_name
        if self.mime_type:
            doc["mime_type"] = self.mime_type
        return doc

    def file_json(self) -> dict:
        return {
            "file_id": self.file_id, "file_unique_id": self.file_unique_id,
            "file_size": self.file_size, "file_path": self.file_path,
        }


@dataclass
class Upload:
    """A file part of a multipart request."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes

    def describe(self) -> str:
        return f"<file {self.filename!r} {self.content_type} {len(self.data)} bytes>"


def image_size(data: bytes) -> tuple[int, int] | None:
    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.size
    except Exception:  # noqa: BLE001 - anything Pillow can't read is "not an image"
        return None


def check_photo(data: bytes) -> tuple[int, int]:
    """Apply sendPhoto's documented limits; return (width, height)."""
    if len(data) > MAX_PHOTO_BYTES:
        raise bad_request("file is too big")
    size = image_size(data)
    if size is None:
        raise bad_request("IMAGE_PROCESS_FAILED")
    w, h = size
    if w <= 0 or h <= 0 or w + h > 10000 or max(w, h) / min(w, h) > 20:
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
    return w, h


def _thumbnail(data: bytes, side: int) -> tuple[int, int, bytes]:
    with Image.open(io.BytesIO(data)) as img:
        img.draft("RGB", (side, side))
        img = img.convert("RGB")
        img.thumbnail((side, side))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=80)
        return img.width, img.height, buf.getvalue()


class FileStore:
    """Every file the emulator knows (user-sent and bot-sent), by file_id and path."""

    def __init__(self) -> None:
        self.by_id: dict[str, StoredFile] = {}
        self.by_path: dict[str, StoredFile] = {}
        self._seq = itertools.count(1)

    def _add(self, data: bytes, kind: str, ext: str, **kw) -> StoredFile:
        n = next(self._seq)
        prefix = "AgACAgIAAxkBAA" if kind == "photo" else "BQACAgIAAxkBAA"
        folder = "photos" if kind == "photo" else "documents"
        f = StoredFile(
            file_id=f"{prefix}{n:05d}{secrets.token_urlsafe(24)}",
            file_unique_id=f"AQAD{n:04d}{secrets.token_urlsafe(6)}",
            data=data, file_path=f"{folder}/file_{n}{ext}", kind=kind, **kw,
        )
        self.by_id[f.file_id] = f
        self.by_path[f.file_path] = f
        return f

    def add_photo(self, data: bytes, width: int, height: int) -> list[StoredFile]:
        """Create a PhotoSize set (ascending); the largest is the original bytes."""
        sizes: list[StoredFile] = []
        longest = max(width, height)
        # thumbnails strictly smaller than the original (a half-size one for tiny images)
        sides = [s for s in THUMB_SIDES if s < longest] or ([longest // 2] if longest >= 2 else [])
        for side in sides:
            w, h, thumb = _thumbnail(data, side)
            sizes.append(self._add(thumb, "photo", ".jpg", mime_type="image/jpeg", width=w, height=h))
        fmt_ext = mimetypes.guess_extension(_image_mime(data) or "image/jpeg") or ".jpg"
        sizes.append(self._add(data, "photo", fmt_ext, mime_type=_image_mime(data), width=width, height=height))
        ids = [s.file_id for s in sizes]
        for s in sizes:
            s.photo_sizes = ids
        return sizes

    def add_document(self, data: bytes, file_name: str | None, mime_type: str | None) -> StoredFile:
        if not mime_type or mime_type == "application/octet-stream":
            mime_type = (mimetypes.guess_type(file_name or "")[0] if file_name else None) or mime_type
        ext = ""
        if file_name and "." in file_name:
            ext = "." + file_name.rsplit(".", 1)[1][:10]
        return self._add(data, "document", ext, mime_type=mime_type or "application/octet-stream", file_name=file_name)

    def photo_set(self, file_id: str) -> list[StoredFile]:
        return [self.by_id[i] for i in self.by_id[file_id].photo_sizes]


def _image_mime(data: bytes) -> str | None:
    try:
        with Image.open(io.BytesIO(data)) as img:
            return Image.MIME.get(img.format or "")
    except Exception:  # noqa: BLE001
        return None
