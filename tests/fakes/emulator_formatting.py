"""Text formatting and reply-markup validation for the Telegram Bot API emulator.

Mirrors what the real Bot API (tdlib) does with ``parse_mode``: the text the
bot sends is parsed into *visible text + entities*; offsets/lengths are in
UTF-16 code units and parse errors come back as
``400 Bad Request: can't parse entities: ...``.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error response of the Bot API: HTTP status == error_code."""

    def __init__(self, error_code: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


MAX_TEXT = 4096
MAX_CAPTION = 1024


# --------------------------------------------------------------------------- HTML

_HTML_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
    "del": "strikethrough", "tg-spoiler": "spoiler", "span": "spoiler", "a": "text_link",
    "code": "code", "pre": "pre", "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}
_HTML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _decode_html_entity(text: str, i: int) -> tuple[str, int] | None:
    """``text[i] == '&'``; return (char, index after ';') for a supported entity."""
    end = text.find(";", i + 1, i + 12)
    if end == -1:
        return None
    name = text[i + 1:end]
    if name.startswith("#"):
        try:
            code = int(name[2:], 16) if name[1:2] in ("x", "X") else int(name[1:])
            return chr(code), end + 1
        except (ValueError, OverflowError):
            return None
    if name in _HTML_ENTITIES:
        return _HTML_ENTITIES[name], end + 1
    return None  # unknown entities stay literal text, as in tdlib


def parse_html(text: str) -> tuple[str, list[dict]]:
    out: list[str] = []
    out_len = 0  # UTF-16 length of the output so far
    stack: list[dict] = []
    entities: list[dict] = []
    n, i = len(text), 0

    def err(msg: str) -> ApiError:
        return bad_request(f"can't parse entities: {msg}")

    while i < n:
        c = text[i]
        if c == "&":
            dec = _decode_html_entity(text, i)
            if dec:
                out.append(dec[0])
                out_len += utf16_len(dec[0])
                i = dec[1]
                continue
        if c != "<":
            out.append(c)
            out_len += utf16_len(c)
            i += 1
            continue
        begin = i
        i += 1
        if i < n and text[i] == "/":
            if not stack:
                raise err(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
            j = i + 1
            while j < n and not text[j].isspace() and text[j] != ">":
                j += 1
            end_name = text[i + 1:j].lower()
            while j < n and text[j].isspace():
                j += 1
            if j >= n or text[j] != ">":
                raise err(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
            top = stack.pop()
            if end_name and end_name != top["tag"]:
                raise err(
                    f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, expected "
                    f'"</{top["tag"]}>", found "</{end_name}>"'
                )
            i = j + 1
            length = out_len - top["offset"]
            if length > 0 and top["type"]:
                ent = {"type": top["type"], "offset": top["offset"], "length": length}
                ent.update(top["extra"])
                entities.append(ent)
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        if j >= n:
            raise err(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        tag = text[i:j].lower()
        if tag not in _HTML_TAGS:
            raise err(f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}')
        attrs: dict[str, str] = {}
        i = j
        while True:
            while i < n and text[i].isspace():
                i += 1
            if i >= n:
                raise err(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
            if text[i] == ">":
                i += 1
                break
            k = i
            while k < n and (text[k].isalnum() or text[k] in "-_"):
                k += 1
            name = text[i:k].lower()
            if not name:
                raise err(f'Empty attribute name in the tag "{tag}" at byte offset {_byte_offset(text, begin)}')
            i = k
            while i < n and text[i].isspace():
                i += 1
            if i >= n or text[i] != "=":
                if name == "expandable" and tag == "blockquote":
                    attrs[name] = ""
                    continue
                raise err(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                    f"at byte offset {_byte_offset(text, begin)}"
                )
            i += 1
            while i < n and text[i].isspace():
                i += 1
            if i >= n:
                raise err(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
            if text[i] in "\"'":
                q = text[i]
                k = text.find(q, i + 1)
                if k == -1:
                    raise err(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
                raw, i = text[i + 1:k], k + 1
            else:
                k = i
                while k < n and not text[k].isspace() and text[k] != ">":
                    k += 1
                raw, i = text[i:k], k
            value, p = [], 0
            while p < len(raw):
                dec = _decode_html_entity(raw, p) if raw[p] == "&" else None
                if dec:
                    value.append(dec[0])
                    p = dec[1]
                else:
                    value.append(raw[p])
                    p += 1
            attrs[name] = "".join(value)
        etype, extra = _HTML_TAGS[tag], {}
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise err(f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, begin)}')
        if tag == "a":
            href = attrs.get("href", "")
            if href.startswith("tg://user?id="):
                etype = "text_mention"
                extra = {"user": {"id": int(href.split("=", 1)[1] or 0), "is_bot": False, "first_name": ""}}
            elif href:
                extra = {"url": href}
            else:
                etype = None
        elif tag == "code" and attrs.get("class", "").startswith("language-") and stack and stack[-1]["tag"] == "pre":
            stack[-1]["extra"]["language"] = attrs["class"][len("language-"):]
            etype = None
        elif tag == "blockquote" and "expandable" in attrs:
            etype = "expandable_blockquote"
        elif tag == "tg-emoji":
            extra = {"custom_emoji_id": attrs.get("emoji-id", "")}
        stack.append({"tag": tag, "type": etype, "offset": out_len, "extra": extra})
    if stack:
        raise err(f'Can\'t find end tag corresponding to start tag "{stack[-1]["tag"]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


# --------------------------------------------------------------------- MarkdownV2

_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "bold": "Bold", "italic": "Italic", "underline": "Underline", "strikethrough": "Strikethrough",
    "spoiler": "Spoiler", "code": "Code", "pre": "Pre", "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}


def parse_markdown_v2(text: str) -> tuple[str, list[dict]]:
    out: list[str] = []
    out_len = 0
    stack: list[dict] = []
    entities: list[dict] = []
    n, i = len(text), 0

    def err(msg: str) -> ApiError:
        return bad_request(f"can't parse entities: {msg}")

    def emit(s: str) -> None:
        nonlocal out_len
        out.append(s)
        out_len += utf16_len(s)

    quote_start: int | None = None
    while i < n:
        c = text[i]
        # blockquote: '>' at the start of a line (outside any entity)
        if c == ">" and not stack and (i == 0 or text[i - 1] == "\n"):
            if quote_start is None:
                quote_start = out_len
            i += 1
            continue
        if c == "\n" and quote_start is not None and not text.startswith(">", i + 1):
            if out_len > quote_start:
                entities.append({"type": "blockquote", "offset": quote_start, "length": out_len - quote_start})
            quote_start = None
        if c == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            emit(text[i + 1])
            i += 2
            continue
        top = stack[-1]["type"] if stack else None
        reserved = {"`"} if top in ("code", "pre") else _MDV2_RESERVED
        if c not in reserved:
            emit(c)
            i += 1
            continue
        nxt = text[i + 1] if i + 1 < n else ""
        is_end = {
            "bold": c == "*", "italic": c == "_" and nxt != "_", "code": c == "`",
            "pre": text.startswith("```", i), "text_link": c == "]", "custom_emoji": c == "]",
            "underline": c == "_" and nxt == "_", "strikethrough": c == "~",
            "spoiler": c == "|" and nxt == "|",
        }.get(top, False)
        if not is_end:
            begin = i
            extra: dict[str, Any] = {}
            if c == "_" and nxt == "_":
                etype, i = "underline", i + 2
            elif c == "_":
                etype, i = "italic", i + 1
            elif c == "*":
                etype, i = "bold", i + 1
            elif c == "~":
                etype, i = "strikethrough", i + 1
            elif c == "|" and nxt == "|":
                etype, i = "spoiler", i + 2
            elif c == "[":
                etype, i = "text_link", i + 1
            elif c == "!" and nxt == "[":
                etype, i = "custom_emoji", i + 2
            elif text.startswith("```", i):
                etype, i = "pre", i + 3
                nl = text.find("\n", i)
                lang = text[i:nl] if nl != -1 else ""
                if nl != -1 and lang and not any(ch.isspace() or ch == "`" for ch in lang):
                    extra["language"] = lang
                    i = nl + 1
                elif text.startswith("\n", i):
                    i += 1
            elif c == "`":
                etype, i = "code", i + 1
            else:
                raise err(f"Character '{c}' is reserved and must be escaped with the preceding '\\'")
            stack.append({"type": etype, "offset": out_len, "begin": begin, "extra": extra})
            continue
        ent = stack.pop()
        etype = ent["type"]
        i += {"underline": 2, "spoiler": 2, "pre": 3}.get(etype, 1)
        if etype in ("text_link", "custom_emoji"):
            url = ""
            if i < n and text[i] == "(":
                start = i + 1
                i += 1
                chars = []
                while i < n and text[i] != ")":
                    if text[i] == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
                        chars.append(text[i + 1])
                        i += 2
                        continue
                    chars.append(text[i])
                    i += 1
                if i >= n:
                    raise err(f"Can't find end of a URL at byte offset {_byte_offset(text, start)}")
                i += 1
                url = "".join(chars)
            if etype == "custom_emoji":
                ent["extra"]["custom_emoji_id"] = url.split("id=", 1)[-1]
            elif url.startswith("tg://user?id="):
                etype = "text_mention"
                ent["extra"]["user"] = {"id": int(url.split("=", 1)[1] or 0), "is_bot": False, "first_name": ""}
            elif url:
                ent["extra"]["url"] = url
            else:
                etype = None
        length = out_len - ent["offset"]
        if etype and length > 0:
            e = {"type": etype, "offset": ent["offset"], "length": length}
            e.update(ent["extra"])
            entities.append(e)
    if stack:
        ent = stack[-1]
        raise err(
            f"Can't find end of {_MDV2_NAMES[ent['type']]} entity at byte offset "
            f"{_byte_offset(text, ent['begin'])}"
        )
    if quote_start is not None and out_len > quote_start:
        entities.append({"type": "blockquote", "offset": quote_start, "length": out_len - quote_start})
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def render_text(
    text: Any, parse_mode: Any, entities: Any, *, caption: bool = False
) -> tuple[str, list[dict]]:
    """Validate a text/caption param as the Bot API does; return (visible text, entities)."""
    if text is None:
        text = ""
    if not isinstance(text, str):
        text = str(text)
    if parse_mode:
        mode = str(parse_mode).lower()
        if mode == "html":
            visible, ents = parse_html(text)
        elif mode == "markdownv2":
            visible, ents = parse_markdown_v2(text)
        else:
            raise bad_request("unsupported parse_mode")
    else:
        visible, ents = text, []
        if entities:
            if not isinstance(entities, list):
                raise bad_request("can't parse entities JSON object")
            total = utf16_len(text)
            for e in entities:
                if not isinstance(e, dict) or "type" not in e:
                    raise bad_request("can't parse MessageEntity JSON object")
                off, ln = int(e.get("offset", -1)), int(e.get("length", 0))
                if off < 0 or ln <= 0 or off + ln > total:
                    raise bad_request("can't parse entities: entity beginning or length is out of bounds")
            ents = [dict(e) for e in entities]
    limit = MAX_CAPTION if caption else MAX_TEXT
    if caption:
        if utf16_len(visible) > limit:
            raise bad_request("message caption is too long")
    else:
        if not visible.strip():
            raise bad_request("message text is empty")
        if utf16_len(visible) > limit:
            raise bad_request("message is too long")
    return visible, ents


# ------------------------------------------------------------------ reply markup

_INLINE_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
    "copy_text", "callback_game", "pay",
)


def validate_reply_markup(markup: Any) -> dict | None:
    """Validate reply_markup as Telegram does; returns the markup dict (or None)."""
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
        count = 0
        for row in rows:
            for button in row:
                count += 1
                if not isinstance(button, dict):
                    raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
                if not isinstance(button.get("text"), str):
                    raise bad_request("can't parse inline keyboard button: Can't find field \"text\"")
                actions = [a for a in _INLINE_ACTIONS if a in button]
                if len(actions) != 1:
                    raise bad_request("text buttons are unallowed in the inline keyboard")
                if "callback_data" in button:
                    data = button["callback_data"]
                    if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                        raise bad_request("BUTTON_DATA_INVALID")
                if "url" in button:
                    url = button["url"]
                    if not isinstance(url, str) or not url.startswith(("http://", "https://", "tg://")) or " " in url:
                        raise bad_request("BUTTON_URL_INVALID")
        if count > 100:
            raise bad_request("reply markup is too long")
        return markup
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays')
        return markup
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise bad_request("can't parse reply keyboard markup JSON object")
