"""Tests of the Telegram Bot API emulator, driven by a real python-telegram-bot Application."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json

import httpx
import pytest
from PIL import Image
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaDocument, InputMediaPhoto, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from .emulator_formatting import ApiError, parse_html, parse_markdown_v2, render_text
from .telegram_emulator import TelegramEmulator


def png(width: int = 64, height: int = 48, color: str = "red") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
async def emu():
    async with TelegramEmulator() as emulator:
        yield emulator


def make_bot(emu: TelegramEmulator, token: str | None = None) -> Bot:
    return Bot(token or emu.token, base_url=f"{emu.url}/bot", base_file_url=f"{emu.url}/file/bot")


# ----------------------------------------------------------------------------- the echo bot
def build_echo_app(emu: TelegramEmulator, seen: dict) -> Application:
    app = (Application.builder().token(emu.token)
           .base_url(f"{emu.url}/bot").base_file_url(f"{emu.url}/file/bot").build())

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen["language_code"] = update.effective_user.language_code
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go"),
                                          InlineKeyboardButton("Docs", url="https://example.com/docs")]])
        await update.message.reply_text("Welcome! Pick one:", reply_markup=keyboard)

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer("got it")
        await query.edit_message_text(f"You chose <b>{query.data}</b>", parse_mode=ParseMode.HTML)

    async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        photo = update.message.photo[-1]
        data = bytes(await (await photo.get_file()).download_as_bytearray())
        seen["downloaded"] = data
        chat_id = update.effective_chat.id
        await context.bot.send_chat_action(chat_id, "upload_photo")
        await context.bot.send_photo(chat_id, data, caption="here it is")
        await context.bot.send_document(chat_id, data, filename="echo.png", caption="as a file")
        await context.bot.send_media_group(chat_id, [InputMediaPhoto(data, caption="one"), InputMediaPhoto(data)])

    async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"echo: {update.message.text}")

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.setdefault("errors", []).append(context.error)

    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.PHOTO, on_photo))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    app.add_error_handler(on_error)
    return app


@contextlib.asynccontextmanager
async def running(app: Application):
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


async def test_round_trip_with_real_ptb_application(emu: TelegramEmulator) -> None:
    seen: dict = {}
    alice = emu.user(4242, "Alice", username="alice", language_code="de")
    original = png(64, 48)
    async with running(build_echo_app(emu, seen)) as app:
        await alice.send_text("/start")
        welcome = await alice.wait_for_text("Welcome")
        assert welcome.kind == "text" and welcome.chat_id == 4242
        assert alice.buttons() == ["Go", "Docs"]
        assert seen["language_code"] == "de"

        query_id = await alice.press("Go")
        edited = await alice.wait_for(lambda m: m.text == "You chose go")
        assert edited.message_id == welcome.message_id and edited.edits == 1
        assert edited.entities == [{"type": "bold", "offset": 10, "length": 2}]
        assert edited.reply_markup is None  # editMessageText without reply_markup drops the keyboard
        assert alice.callback_answer(query_id)["text"] == "got it"
        with pytest.raises(BadRequest, match="Query is too old"):
            await app.bot.answer_callback_query(query_id)  # answered twice

        await alice.send_text("hello there")
        assert (await alice.wait_for_text("echo:")).text == "echo: hello there"

        await alice.send_photo(original, caption="please echo")
        last = await alice.wait_for(lambda m: m.media_group_id is not None and m.text is None)

    assert seen["downloaded"] == original
    assert not seen.get("errors")
    photo, document, group1, group2 = alice.messages()[-4:]
    assert photo.kind == "photo" and photo.caption == "here it is" and photo.file_bytes == original
    assert [p["width"] for p in photo.photo][-1] == 64 and len(photo.photo) >= 2
    assert all({"file_id", "file_unique_id", "width", "height", "file_size"} <= set(p) for p in photo.photo)
    assert document.kind == "document" and document.file_name == "echo.png"
    assert document.document["mime_type"] == "image/png" and document.file_bytes == original
    assert group1.media_group_id == group2.media_group_id == last.media_group_id
    assert group1.caption == "one"
    assert group2.file_bytes == original
    assert (4242, "upload_photo") in emu.chat_actions
    ids = [m.message_id for m in alice.messages()]
    assert ids == sorted(set(ids))
    method, params = next(c for c in emu.calls if c[0] == "sendPhoto")
    assert params["chat_id"] == 4242 and params["photo"].startswith("<file")
    assert not emu.pending_updates()  # the updater confirmed everything on shutdown
    assert [e[0] for e in emu.errors] == ["answerCallbackQuery"]  # no getUpdates conflicts etc.

    # bot-sent files can be fetched back via getFile + the file endpoint
    async with make_bot(emu) as bot:
        f = await bot.get_file(photo.file_id)
        assert bytes(await f.download_as_bytearray()) == original
        thumb = await bot.get_file(photo.photo[0]["file_id"])
        assert Image.open(io.BytesIO(await thumb.download_as_bytearray())).size == (
            photo.photo[0]["width"], photo.photo[0]["height"])
        with pytest.raises(BadRequest, match="Wrong file_id"):
            await bot.get_file("nope")


async def test_album_is_enqueued_together_and_language_is_in_from(emu: TelegramEmulator) -> None:
    bob = emu.user(7, "Bob", language_code="ru")
    ids = await bob.send_album([png(color="blue"), png(color="green"), png(color="red")])
    assert ids == [1, 2, 3]
    await bob.send_document(b"%PDF-1.4", "a.pdf", "application/pdf")
    async with make_bot(emu) as bot:
        updates = await bot.get_updates(timeout=0)
        assert [u.update_id for u in updates] == sorted({u.update_id for u in updates})
        groups = {u.message.media_group_id for u in updates[:3]}
        assert len(groups) == 1 and None not in groups
        assert updates[0].message.from_user.language_code == "ru"
        assert updates[3].message.document.file_name == "a.pdf"
        big = max(updates[1].message.photo, key=lambda p: p.width)
        assert bytes(await (await big.get_file()).download_as_bytearray()) == png(color="green")
        assert len(updates[1].message.photo) in (2, 3)


async def test_get_updates_offset_limit_timeout(emu: TelegramEmulator) -> None:
    carol = emu.user(9)
    async with make_bot(emu) as bot:
        assert await bot.get_updates(timeout=0) == ()
        for text in ("a", "b", "c"):
            await carol.send_text(text)
        first = await bot.get_updates(limit=2, timeout=0)
        assert [u.message.text for u in first] == ["a", "b"]
        again = await bot.get_updates(timeout=0)  # not confirmed yet -> delivered again
        assert len(again) == 3
        rest = await bot.get_updates(offset=first[-1].update_id + 1, timeout=0)
        assert [u.message.text for u in rest] == ["c"]
        assert [u.message.text for u in await bot.get_updates(timeout=0)] == ["c"]
        assert await bot.get_updates(offset=rest[-1].update_id + 1, timeout=0) == ()

        # long polling returns as soon as an update arrives
        poll = asyncio.create_task(bot.get_updates(offset=rest[-1].update_id + 1, timeout=5))
        await asyncio.sleep(0)
        await carol.send_text("/help")
        (update,) = await asyncio.wait_for(poll, 3)
        assert update.message.entities[0].type == "bot_command"
        assert (update.message.entities[0].offset, update.message.entities[0].length) == (0, 5)

        # allowed_updates filters (and drops) other update types
        await carol.send_text("dropped")
        assert await bot.get_updates(offset=update.update_id + 1, timeout=0,
                                     allowed_updates=["callback_query"]) == ()
        assert emu.pending_updates() == []


async def test_auth_and_unknown_method(emu: TelegramEmulator) -> None:
    async with httpx.AsyncClient() as client:
        bad = await client.post(f"{emu.url}/bot999:wrong/getMe")
        assert bad.status_code == 401
        assert bad.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        missing = await client.post(f"{emu.url}/bot{emu.token}/noSuchMethod")
        assert missing.status_code == 404 and missing.json()["description"] == "Not Found"
        me = await client.get(f"{emu.url}/bot{emu.token}/getme")  # method names are case-insensitive
        assert me.json()["ok"] is True and me.json()["result"]["username"] == "higgs_test_bot"
        js = await client.post(f"{emu.url}/bot{emu.token}/sendMessage", json={"chat_id": 1, "text": "x"})
        assert js.json() == {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
    with pytest.raises(InvalidToken):
        async with make_bot(emu, "999:wrong") as bot:
            await bot.get_me()


async def test_bad_requests_are_faithful(emu: TelegramEmulator) -> None:
    dave = emu.user(11)
    async with make_bot(emu) as bot:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x")]])
        msg = await bot.send_message(11, "same", reply_markup=keyboard)
        with pytest.raises(BadRequest, match="Message is not modified"):
            await bot.edit_message_text("same", 11, msg.message_id, reply_markup=keyboard)
        with pytest.raises(BadRequest, match="Message is not modified"):
            await bot.edit_message_reply_markup(11, msg.message_id, reply_markup=keyboard)
        edited = await bot.edit_message_text("same", 11, msg.message_id)  # dropping the keyboard is a change
        assert edited.reply_markup is None and edited.edit_date is not None
        with pytest.raises(BadRequest, match="Message to edit not found"):
            await bot.edit_message_text("new", 11, 999)
        with pytest.raises(BadRequest, match="Message text is empty"):
            await bot.send_message(11, "")
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(11, "x" * 4097)
        with pytest.raises(BadRequest, match="Button_data_invalid"):
            await bot.send_message(11, "hi", reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("x", callback_data="y" * 65)]]))
        with pytest.raises(BadRequest, match="Can't parse entities: unsupported start tag"):
            await bot.send_message(11, "a <tag> b", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match="reserved and must be escaped"):
            await bot.send_message(11, "1.5", parse_mode=ParseMode.MARKDOWN_V2)
        with pytest.raises(BadRequest, match="Query is too old"):
            await bot.answer_callback_query("12345")
        with pytest.raises(BadRequest, match="Photo_invalid_dimensions"):
            await bot.send_photo(11, png(9000, 1200))
        with pytest.raises(BadRequest, match="Photo_invalid_dimensions"):
            await bot.send_photo(11, png(2100, 100))
        with pytest.raises(BadRequest, match="File is too big"):
            await bot.send_photo(11, b"\0" * (10 * 1024 * 1024 + 1))
        with pytest.raises(BadRequest, match="Media group must include 2-10 items"):
            await bot.send_media_group(11, [InputMediaPhoto(png())])
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(12345, "who?")
        assert await bot.delete_message(11, msg.message_id) is True
        with pytest.raises(BadRequest, match="Message to delete not found"):
            await bot.delete_message(11, msg.message_id)
        dave.blocked = True
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(11, "hi")
        dave.blocked = False

        # documents in an album, photo re-sent by file_id, commands with scopes
        sent = await bot.send_media_group(11, [InputMediaDocument(b"one", filename="1.txt"),
                                               InputMediaDocument(b"two", filename="2.txt")])
        assert sent[0].media_group_id == sent[1].media_group_id
        assert sent[1].document.mime_type == "text/plain"
        photo = await bot.send_photo(11, png())
        again = await bot.send_photo(11, photo.photo[-1].file_id)
        assert again.photo[-1].file_unique_id == photo.photo[-1].file_unique_id
        assert emu.messages(11)[-1].file_bytes == png()
        await bot.set_my_commands([("start", "Start"), ("help", "Help")])
        await bot.set_my_commands([("admin", "Admin")], scope={"type": "chat", "chat_id": 11})
        assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
        assert emu.commands["chat:11"] == [{"command": "admin", "description": "Admin"}]
        await bot.delete_my_commands()
        assert "default" not in emu.commands
    assert ("sendMessage", 400, "Bad Request: message text is empty") in emu.errors


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_injected_429_reaches_ptb_as_retry_after(emu: TelegramEmulator) -> None:
    emu.user(5)
    emu.fail_next("sendMessage", retry_after=3)
    async with make_bot(emu) as bot:
        with pytest.raises(RetryAfter) as exc_info:
            await bot.send_message(5, "hi")
        assert "Retry in 3 seconds" in str(exc_info.value)
        await bot.send_message(5, "hi")  # only the next call fails
    assert [m.text for m in emu.messages(5)] == ["hi"]
    async with httpx.AsyncClient() as client:
        emu.fail_next("getMe", retry_after=7)
        body = (await client.post(f"{emu.url}/bot{emu.token}/getMe")).json()
    assert body == {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 7",
                    "parameters": {"retry_after": 7}}


async def test_multipart_form_with_json_params_and_attach(emu: TelegramEmulator) -> None:
    emu.user(3)
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    media = [{"type": "photo", "media": "attach://p1", "caption": "<i>c</i>", "parse_mode": "HTML"},
             {"type": "photo", "media": "attach://p2"}]
    async with httpx.AsyncClient() as client:
        r = await client.post(f"{emu.url}/bot{emu.token}/sendMessage",
                              data={"chat_id": "3", "text": "hi", "reply_markup": json.dumps(markup)})
        assert r.json()["result"]["reply_markup"] == markup
        r = await client.post(f"{emu.url}/bot{emu.token}/sendMediaGroup",
                              data={"chat_id": "3", "media": json.dumps(media)},
                              files={"p1": ("a.png", png(), "image/png"), "p2": ("b.png", png(8, 8), "image/png")})
        result = r.json()["result"]
    assert result[0]["caption"] == "c" and result[0]["caption_entities"][0]["type"] == "italic"
    assert result[1]["photo"][-1]["width"] == 8
    assert emu.calls[-1][1]["media"][0]["media"] == "attach://p1"


def test_formatting_parsers() -> None:
    assert parse_html('<b>bold</b> &amp; <a href="https://x.y/?a=1&amp;b=2">link</a>') == (
        "bold & link",
        [{"type": "bold", "offset": 0, "length": 4},
         {"type": "text_link", "offset": 7, "length": 4, "url": "https://x.y/?a=1&b=2"}])
    assert parse_markdown_v2(r"*hi* _there_ 1\.5 [go](https://e.x/a\)b)") == (
        "hi there 1.5 go",
        [{"type": "bold", "offset": 0, "length": 2}, {"type": "italic", "offset": 3, "length": 5},
         {"type": "text_link", "offset": 13, "length": 2, "url": "https://e.x/a)b"}])
    with pytest.raises(ApiError, match="Can't find end of Bold entity at byte offset 0"):
        parse_markdown_v2("*open")
    with pytest.raises(ApiError, match='Unmatched end tag at byte offset 12, expected "</b>", found "</i>"'):
        parse_html("<b>x<i>y</i></i>")
    # UTF-16 offsets: the emoji counts as two code units
    assert render_text("😀 <b>x</b>", "HTML", None)[1] == [{"type": "bold", "offset": 3, "length": 1}]


async def test_urls_captions_reply_keyboards_and_wait_cursor(emu: TelegramEmulator) -> None:
    erin = emu.user(21, "Erin")
    emu.url_content["https://cdn.example/result.png"] = png(30, 20)
    async with make_bot(emu) as bot:
        old = await bot.send_message(21, "Done earlier")
        await erin.send_text("again")  # moves erin's wait cursor past "Done earlier"
        via_url = await bot.send_photo(21, "https://cdn.example/result.png", caption="v1",
                                       reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Again", callback_data="again")]]))
        assert via_url.photo[-1].width == 30 and emu.messages(21)[-1].file_name == "result.png"
        # a real HTTP fetch (here from the emulator's own file endpoint)
        path = (await bot.get_file(via_url.photo[-1].file_id)).file_path
        fetched = await bot.send_document(21, path)
        assert fetched.document.file_size == len(png(30, 20))
        with pytest.raises(BadRequest, match="Failed to get http url content"):
            await bot.send_photo(21, f"{emu.url}/nothing-here.png")
        await bot.edit_message_caption(21, via_url.message_id, caption="v2",
                                       reply_markup=via_url.reply_markup)
        with pytest.raises(BadRequest, match="There is no text in the message to edit"):
            await bot.edit_message_text("x", 21, via_url.message_id)
        await bot.send_message(21, "Done now", reply_markup={"keyboard": [["Yes", "No"]], "resize_keyboard": True})
    done = await erin.wait_for_text("Done", timeout=1)
    assert done.text == "Done now" and done.message_id != old.message_id
    assert done.reply_markup["keyboard"] == [["Yes", "No"]]  # stored for inspection...
    assert erin.buttons() == ["Again"]  # ...but only inline keyboards count as buttons
    captioned = await erin.wait_for(lambda m: m.caption == "v2", timeout=1)
    assert captioned.edits == 1 and captioned.history == ["v1"]
    with pytest.raises(TimeoutError, match="no matching bot message"):
        await erin.wait_for_text("never", timeout=0.05)


async def test_edit_message_media_as_the_bot_api_documents_it(emu: TelegramEmulator) -> None:
    """Bot API 10.0: a photo or document message gets new media, a text message gets media
    added; the keyboard is what the edit sends; an album keeps its kind; a server before it
    (``text_to_media = False``) refuses a text message."""
    user = emu.user(5, "Eve")
    async with make_bot(emu) as bot:
        status = await bot.send_message(5, "⏳ working…", reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("Cancel", callback_data="c:1")]]))
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Again", callback_data="rg:1")]])
        edited = await bot.edit_message_media(InputMediaPhoto(png(color="blue"), caption="done 🦊"), chat_id=5,
                                              message_id=status.message_id, reply_markup=keyboard)
        assert edited.message_id == status.message_id and edited.photo and edited.caption == "done 🦊"
        [message] = user.messages()
        assert message.kind == "photo" and message.history == ["⏳ working…"]
        assert message.file_bytes == png(color="blue") and message.button_texts() == ["Again"]
        await bot.edit_message_media(InputMediaDocument(b"raw", filename="a.bin"), chat_id=5,
                                     message_id=status.message_id)
        assert user.messages()[0].kind == "document" and user.messages()[0].buttons() == []

        album = await bot.send_media_group(5, [InputMediaPhoto(png()), InputMediaPhoto(png(color="green"))])
        with pytest.raises(BadRequest, match="(?i)type of media in an album"):
            await bot.edit_message_media(InputMediaDocument(b"x", filename="x.bin"), chat_id=5,
                                         message_id=album[0].message_id)
        with pytest.raises(BadRequest, match="(?i)message caption is too long"):
            await bot.edit_message_media(InputMediaPhoto(png(), caption="𠀀" * 513), chat_id=5,
                                         message_id=album[0].message_id)
        with pytest.raises(BadRequest, match="(?i)message to edit not found"):
            await bot.edit_message_media(InputMediaPhoto(png()), chat_id=5, message_id=999)
        emu.text_to_media = False
        text = await bot.send_message(5, "plain")
        with pytest.raises(BadRequest, match="(?i)no media in the message"):
            await bot.edit_message_media(InputMediaPhoto(png()), chat_id=5, message_id=text.message_id)


async def test_an_injected_error_can_wait_for_calls_that_go_through(emu: TelegramEmulator) -> None:
    emu.user(5, "Eve")
    emu.fail_next("sendMessage", error_code=500, description="Internal Server Error", after=2)
    async with make_bot(emu) as bot:
        await bot.send_message(5, "one")
        await bot.send_message(5, "two")
        with pytest.raises(Exception, match="Internal Server Error"):
            await bot.send_message(5, "three")
        await bot.send_message(5, "four")
