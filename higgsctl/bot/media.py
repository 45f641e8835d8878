"""What Telegram accepts: photo limits (a downscaled JPEG preview when a result exceeds
them) and the document upload limit of the Bot API server in use."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import urlsplit

from telegram.error import TelegramError

PHOTO_MAX_BYTES = 10 * 1024 * 1024  # sendPhoto limits
PHOTO_MAX_SIDES = 10000  # width + height
PHOTO_MAX_RATIO = 20
DOCUMENT_MAX_MB = 50  # sendDocument upload limit of api.telegram.org
LOCAL_DOCUMENT_MAX_MB = 2000  # ... and of a local Bot API server
TELEGRAM_API_HOST = "api.telegram.org"


def document_limit(api_base_url: str) -> int:
    """The largest file (bytes) sendDocument takes: 50 MB on Telegram's own Bot API server,
    2000 MB on a local one (any other api_base_url)."""
    host = (urlsplit(api_base_url).hostname or "").lower()
    return (DOCUMENT_MAX_MB if host == TELEGRAM_API_HOST else LOCAL_DOCUMENT_MAX_MB) * 1024 * 1024


def too_large(exc: TelegramError) -> bool:
    """Telegram's 413 (PTB raises it as a NetworkError): retrying the same upload can't help."""
    return "entity too large" in str(exc).lower()


def photo_bytes(path: Path) -> bytes:
    """The image as Telegram accepts it for sendPhoto: the original when it fits the photo
    limits (10 MB, width + height <= 10000, ratio <= 20), else a downscaled JPEG preview.
    Blocking (Pillow): call it via asyncio.to_thread."""
    from PIL import Image

    data = path.read_bytes()
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
        fits = (len(data) <= PHOTO_MAX_BYTES and width + height <= PHOTO_MAX_SIDES
                and max(width, height) / max(1, min(width, height)) <= PHOTO_MAX_RATIO
                and image.format in ("JPEG", "PNG", "WEBP"))
        if fits:
            return data
        preview = image.convert("RGB")
    if max(width, height) / max(1, min(width, height)) > PHOTO_MAX_RATIO:  # crop the middle to 20:1
        if width > height:
            keep = height * PHOTO_MAX_RATIO
            preview = preview.crop(((width - keep) // 2, 0, (width + keep) // 2, height))
        else:
            keep = width * PHOTO_MAX_RATIO
            preview = preview.crop((0, (height - keep) // 2, width, (height + keep) // 2))
    scale = min(1.0, 4096 / max(preview.size))
    if scale < 1.0:
        preview = preview.resize((max(1, round(preview.width * scale)), max(1, round(preview.height * scale))),
                                 Image.Resampling.LANCZOS)
    for quality in (90, 80, 65, 50):
        buffer = io.BytesIO()
        preview.save(buffer, "JPEG", quality=quality, optimize=True)
        if buffer.tell() <= PHOTO_MAX_BYTES:
            break
    return buffer.getvalue()
