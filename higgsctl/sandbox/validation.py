"""FastAPI-shaped validation of a submit body against an :class:`AppSpec`.

Each error is ``{"type", "loc", "msg", "input"[, "ctx"]}`` like pydantic v2 produces; the
server answers 422 ``{"detail": [errors...]}`` when the list is not empty.
"""

from __future__ import annotations

import re
from typing import Any, Callable
from urllib.parse import urlsplit

from .state import FAULTS

MARKER = re.compile(r"\[sandbox:([A-Za-z_]+)\]")
REFERENCE_FIELDS = ("input_images", "image_urls")
MAX_URL = 2083
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")

Error = dict[str, Any]


def error(kind: str, loc: list[Any], msg: str, value: Any, **ctx: Any) -> Error:
    item: Error = {"type": kind, "loc": ["body", *loc], "msg": msg, "input": value}
    if ctx:
        item["ctx"] = ctx
    return item


def marker_fault(prompt: str) -> str | None:
    found = MARKER.search(prompt)
    return found.group(1).lower() if found else None


def validate_body(body: Any, spec: Any, fetchable: Callable[[str], bool | None]) -> list[Error]:
    """fetchable(url) -> True/False for this sandbox's own files, None for foreign URLs."""
    if not isinstance(body, dict):
        return [{"type": "model_attributes_type", "loc": ["body"], "input": body,
                 "msg": "Input should be a valid dictionary or object to extract fields from"}]
    errors: list[Error] = []
    prompt = body.get("prompt")
    if "prompt" not in body:
        errors.append(error("missing", ["prompt"], "Field required", body))
    elif not isinstance(prompt, str):
        errors.append(error("string_type", ["prompt"], "Input should be a valid string", prompt))
    elif not prompt:
        errors.append(error("string_too_short", ["prompt"], "String should have at least 1 character",
                            prompt, min_length=1))
    elif (fault := marker_fault(prompt)) is not None and fault not in FAULTS:
        errors.append(error("value_error", ["prompt"], f"Unknown sandbox fault {fault!r}; known: "
                            + ", ".join(FAULTS), prompt))

    aspect = body.get("aspect_ratio")
    if aspect is not None and aspect not in spec.aspect_ratios:
        expected = ", ".join(repr(a) for a in spec.aspect_ratios[:-1]) + f" or {spec.aspect_ratios[-1]!r}"
        errors.append(error("literal_error", ["aspect_ratio"], f"Input should be {expected}", aspect,
                            expected=expected))

    if "num_images" in body:
        n = body["num_images"]
        if not isinstance(n, int) or isinstance(n, bool):
            errors.append(error("int_type", ["num_images"], "Input should be a valid integer", n))
        elif n < 1:
            errors.append(error("greater_than_equal", ["num_images"],
                                "Input should be greater than or equal to 1", n, ge=1))
        elif n > 4:
            errors.append(error("less_than_equal", ["num_images"],
                                "Input should be less than or equal to 4", n, le=4))

    for name in REFERENCE_FIELDS:
        if name != spec.reference_field and body.get(name) is not None:
            errors.append(error("extra_forbidden", [name], "Extra inputs are not permitted", body[name]))
    errors.extend(_references(body.get(spec.reference_field), spec, fetchable))
    return errors


def _references(refs: Any, spec: Any, fetchable: Callable[[str], bool | None]) -> list[Error]:
    name = spec.reference_field
    if refs is None:
        return []
    if not isinstance(refs, list):
        return [error("list_type", [name], "Input should be a valid list", refs)]
    if len(refs) > spec.max_references:
        return [error("too_long", [name],
                      f"List should have at most {spec.max_references} items after validation, not {len(refs)}",
                      refs, field_type="List", max_length=spec.max_references, actual_length=len(refs))]
    errors: list[Error] = []
    for i, item in enumerate(refs):
        loc: list[Any] = [name, i]
        url = item
        if name == "input_images":
            if not isinstance(item, dict):
                errors.append(error("model_attributes_type", loc, "Input should be a valid dictionary or "
                                    "object to extract fields from", item))
                continue
            if item.get("type") != "image_url":
                errors.append(error("literal_error", [*loc, "type"], "Input should be 'image_url'",
                                    item.get("type"), expected="'image_url'"))
            loc, url = [*loc, "image_url"], item.get("image_url")
        problem = _url_problem(url, fetchable)
        if problem:
            errors.append(error(problem[0], loc, problem[1], url))
    return errors


def _url_problem(url: Any, fetchable: Callable[[str], bool | None]) -> tuple[str, str] | None:
    if not isinstance(url, str):
        return "string_type", "Input should be a valid string"
    if not 1 <= len(url) <= MAX_URL:
        return "url_too_long", f"URL should have at most {MAX_URL} characters"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "url_parsing", "Input should be a valid URL"
    if fetchable(url) is False:
        return "value_error", "image could not be fetched"
    return None


def idempotency_key_error(key: str) -> Error | None:
    if IDEMPOTENCY_KEY.fullmatch(key):
        return None
    return {"type": "value_error", "loc": ["header", "idempotency-key"], "input": key,
            "msg": "Idempotency-Key must be 1-255 visible ASCII characters without whitespace"}


def expires_after_error(value: str) -> Error | None:
    """Hf-Expires-After: seconds, 3600 up to the retention (7 days here)."""
    if value.isdigit() and 3600 <= int(value) <= 7 * 24 * 3600:
        return None
    return {"type": "value_error", "loc": ["header", "hf-expires-after"], "input": value,
            "msg": "Hf-Expires-After must be an integer number of seconds between 3600 and 604800"}
