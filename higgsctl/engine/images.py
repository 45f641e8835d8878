"""Reading an image that came from outside without letting it decide how much we decode.

Pillow's ``Image.open`` reads only the header; the pixels are decoded later. So the header
is read first (only as JPEG, PNG, WebP or GIF: no other parser sees hostile bytes), the
pixel count is checked against ``[limits] max_reference_megapixels``, and only then is the
file decoded, to prove it is whole. A 20000×20000 PNG of 50 KB is refused here and never
reaches Pillow's own decompression-bomb guard as an uncaught error.
"""

from __future__ import annotations

import re
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from PIL import Image, UnidentifiedImageError

from .errors import InvalidInput

FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
SEND_SUPPORTED = "Send a JPEG, PNG, WebP or GIF."
_BOMB_PIXELS = re.compile(r"\((\d+) pixels\)")

# Pillow warns when it opens an image over its own soft limit; we refuse those by a stricter
# limit of our own, so the warning would only be noise on stderr (the CLI) or in the log (the
# bot). warnings.catch_warnings swaps process-wide state: one opening at a time (a header
# read, quick), so concurrent checks (an album) never restore each other's filters.
_QUIET = threading.Lock()


@dataclass(frozen=True)
class ImageInfo:
    format: str  # one of FORMATS
    width: int
    height: int


def inspect_image(path: Path, max_megapixels: int) -> ImageInfo:
    """The format and size of the image at ``path``, once it is known to hold at most
    ``max_megapixels`` and to decode completely. Blocking (reads and decodes): run it off
    the event loop. Raises InvalidInput with code ``reference_not_image``,
    ``reference_too_many_pixels``, ``reference_damaged`` or ``reference_unreadable``."""
    name = path.name
    limit = max_megapixels * 1_000_000
    try:
        with _QUIET, warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path, formats=FORMATS)  # the header only
    except Image.DecompressionBombError as exc:  # over Pillow's hard limit: far over ours
        match = _BOMB_PIXELS.search(str(exc))
        _too_many_pixels(name, max_megapixels, int(match.group(1)) if match else None)
    except UnidentifiedImageError:
        raise InvalidInput(f"Reference {name!r} is not an image.", hint=SEND_SUPPORTED,
                           code="reference_not_image", name=name) from None
    except OSError as exc:
        if exc.errno is not None:  # the file itself: permissions, vanished, I/O error
            raise InvalidInput(f"Cannot read reference {name!r}: {exc.strerror}.",
                               code="reference_unreadable", name=name) from None
        _damaged(name, exc)  # a header that starts right and breaks off (truncated WebP)
    except Exception as exc:  # noqa: BLE001 - any parser error on a hostile header is a bad file
        _damaged(name, exc)
    with image:
        width, height = image.size
        if width * height > limit:
            _too_many_pixels(name, max_megapixels, width * height, (width, height))
        if width < 1 or height < 1:
            _damaged(name, ValueError(f"size {width}×{height}"))
        try:
            if image.format == "PNG":
                image.verify()  # streams every chunk and its CRC without holding the pixels
            else:
                image.draft("RGB", (max(1, width // 8), max(1, height // 8)))  # JPEG: decode at 1/8 scale
                image.load()
        except Exception as exc:  # noqa: BLE001 - Pillow's decoders raise a zoo of types for bad data
            _damaged(name, exc)
        return ImageInfo(image.format, width, height)


def whole_image_problem(path: Path) -> str | None:
    """Why the file at ``path`` is not one whole JPEG, PNG, WebP or GIF (an HTML error page
    answered with 200, a body cut short), or None when it is. For downloaded results: a
    file that fails this is never stored in place of the image. Blocking: off the loop."""
    try:
        with _QUIET, warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path, formats=FORMATS)
        with image:
            if image.format == "PNG":
                image.verify()
            else:
                image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
                image.load()
    except UnidentifiedImageError:
        return "not an image"
    except Exception as exc:  # noqa: BLE001 - Pillow's decoders raise a zoo of types for bad data
        return f"damaged: {type(exc).__name__}: {exc}"
    return None


def _too_many_pixels(name: str, max_megapixels: int, pixels: int | None, size: tuple[int, int] | None = None) -> NoReturn:
    what = f"{size[0]}×{size[1]} pixels ({pixels / 1e6:.1f} megapixels)" if size else (
        f"{pixels / 1e6:.0f} megapixels" if pixels else "too many pixels")
    raise InvalidInput(f"Reference {name!r} is {what}; the limit is {max_megapixels} megapixels.",
                       hint="Send a smaller version of the image.", code="reference_too_many_pixels",
                       name=name, limit=max_megapixels, megapixels=round(pixels / 1e6, 1) if pixels else None)


def _damaged(name: str, exc: BaseException) -> NoReturn:
    raise InvalidInput(f"Reference {name!r} is damaged or incomplete ({type(exc).__name__}: {exc}).",
                       hint="Send the file again.", code="reference_damaged", name=name) from None
