"""Files that claim to be images and are not safe to decode: decompression bombs in every
format we accept (a valid header announcing a huge canvas), truncated files, non-images
under image names. Built in memory in well under a second; see the ``hostile_images``
fixture in conftest.py.
"""

from __future__ import annotations

import io
import os
import struct
import zlib

from PIL import Image

TOO_MANY = "reference_too_many_pixels"
DAMAGED = "reference_damaged"
NOT_IMAGE = "reference_not_image"


def encoded(fmt: str, size=(64, 48), noise: bool = False, **options) -> bytes:
    image = (Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)) if noise
             else Image.new("RGB", size, (200, 40, 40)))
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def png_bomb(width: int, height: int) -> bytes:
    """A complete, valid 1-bit PNG of width × height black pixels: tens of KB on disk."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def jpeg_claiming(width: int, height: int) -> bytes:
    """A real JPEG whose frame header (SOF) announces width × height."""
    data = bytearray(encoded("JPEG"))
    at = 2
    while data[at + 1] not in (0xC0, 0xC1, 0xC2):
        at += 2 + struct.unpack(">H", data[at + 2:at + 4])[0]
    data[at + 5:at + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def gif_claiming(width: int, height: int) -> bytes:
    """A real GIF whose screen and first frame announce width × height."""
    data = bytearray(encoded("GIF"))
    data[6:10] = struct.pack("<HH", width, height)
    frame = data.index(b"\x2c", 13)  # the image descriptor
    data[frame + 5:frame + 9] = struct.pack("<HH", width, height)
    return bytes(data)


def webp_claiming(width: int, height: int) -> bytes:
    """A real lossless WebP whose VP8L header announces width × height (at most 16384)."""
    data = bytearray(encoded("WEBP", lossless=True))
    assert data[12:16] == b"VP8L"
    bits = struct.unpack("<I", data[21:25])[0] & 0xF000_0000  # keep the alpha and version bits
    data[21:25] = struct.pack("<I", bits | (width - 1) | ((height - 1) << 14))
    return bytes(data)


def half(data: bytes) -> bytes:
    return data[: len(data) // 2]


EXPECTED = {  # file name -> the refusal code the engine must give
    "bomb.png": TOO_MANY, "bomb.jpg": TOO_MANY, "bomb.gif": TOO_MANY, "bomb.webp": TOO_MANY,
    "warned.jpg": TOO_MANY, "warned.webp": TOO_MANY, "over-limit.png": TOO_MANY,
    "truncated.jpg": DAMAGED, "truncated.png": DAMAGED, "truncated.gif": DAMAGED, "truncated.webp": DAMAGED,
    "empty.png": NOT_IMAGE, "notes.jpg": NOT_IMAGE, "paper.png": NOT_IMAGE, "bitmap.png": NOT_IMAGE,
}


def hostile_images() -> dict[str, bytes]:
    """file name -> its bytes (see EXPECTED)."""
    files = {
        "bomb.png": png_bomb(20_000, 20_000),  # 400 MP in ~50 KB: over Pillow's own hard limit
        "bomb.jpg": jpeg_claiming(60_000, 60_000),
        "bomb.gif": gif_claiming(65_535, 65_535),
        "bomb.webp": webp_claiming(16_384, 16_384),
        "warned.jpg": jpeg_claiming(10_000, 10_000),  # 100 MP: Pillow only warns
        "warned.webp": webp_claiming(10_000, 10_000),
        "over-limit.png": png_bomb(8_000, 8_000),  # 64 MP: under Pillow's limits, over our default 50
        "truncated.jpg": half(encoded("JPEG", (640, 480), noise=True)),
        "truncated.png": half(encoded("PNG", (640, 480), noise=True)),
        "truncated.gif": half(encoded("GIF", (640, 480), noise=True)),
        "truncated.webp": half(encoded("WEBP", (640, 480), noise=True)),
        "empty.png": b"",
        "notes.jpg": b"just some text, not a picture\n" * 20,
        "paper.png": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n",
        "bitmap.png": encoded("BMP"),  # a real image, in a format we don't send on
    }
    assert files.keys() == EXPECTED.keys()
    return files
