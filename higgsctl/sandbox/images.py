"""Result pictures for the sandbox: a real PNG per (prompt, aspect ratio, size, index).

Colours come from a hash of the prompt so the same prompt always looks the same. Rendering is
CPU work; callers run :func:`render_png` in an executor, and the bytes are cached.
"""

from __future__ import annotations

import hashlib
import io
import textwrap
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

AUTO_ASPECT = "4:3"


def image_size(aspect_ratio: str, long_side: int) -> tuple[int, int]:
    """Width and height for 'W:H' with the longer side equal to long_side; 'auto' means 4:3."""
    ratio = AUTO_ASPECT if aspect_ratio in ("", "auto") else aspect_ratio
    w, h = (float(part) for part in ratio.split(":"))
    if w >= h:
        return long_side, max(1, round(long_side * h / w))
    return max(1, round(long_side * w / h)), long_side


def _colours(prompt: str) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    digest = hashlib.sha256(prompt.encode("utf-8")).digest()
    return (digest[0], digest[1], digest[2]), (digest[3], digest[4], digest[5])


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (OSError, TypeError):  # Pillow built without FreeType
        return ImageFont.load_default()


@lru_cache(maxsize=256)
def render_png(prompt: str, aspect_ratio: str, long_side: int, index: int = 0, total: int = 1) -> bytes:
    width, height = image_size(aspect_ratio, long_side)
    start, end = _colours(prompt)
    vertical = Image.linear_gradient("L")
    mask = Image.blend(vertical, vertical.transpose(Image.Transpose.ROTATE_90), 0.5).resize((width, height))
    picture = Image.composite(Image.new("RGB", (width, height), end),
                              Image.new("RGB", (width, height), start), mask)

    draw = ImageDraw.Draw(picture)
    margin = max(8, width // 24)
    font = _font(max(10, long_side // 28))
    small = _font(max(8, long_side // 40))
    columns = max(10, int(width / (long_side // 28 * 0.6 or 1)) - 4)
    lines = textwrap.wrap(prompt, width=columns)[:8] or [" "]
    text = "\n".join(lines)
    box = draw.multiline_textbbox((margin, margin), text, font=font)
    draw.rectangle((box[0] - 6, box[1] - 6, box[2] + 6, box[3] + 6), fill=(0, 0, 0))
    draw.multiline_text((margin, margin), text, font=font, fill=(255, 255, 255))
    label = f"higgsctl sandbox  {aspect_ratio}  {width}x{height}  image {index + 1}/{total}"
    draw.text((margin, height - margin - long_side // 40), label, font=small, fill=(255, 255, 255))

    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
