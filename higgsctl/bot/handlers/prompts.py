"""/imagine PROMPT and /generate PROMPT: a confirm card for the prompt, as typed text gets
(wizard.py). Alone, the command asks for the prompt (a draft waiting for it, with the
user's usual model and aspect: the text that follows gets the card). A prompt Telegram split
in parts is joined first (pastes.py): one card, the whole prompt."""

from __future__ import annotations

import functools

from telegram import Message, Update
from telegram.ext import Application, CommandHandler

from ..texts import t
from . import cards, pastes
from .guards import guarded
from .who import Context, Who


@guarded
async def imagine(update: Update, context: Context, who: Who) -> None:
    """Collected as typed text is: a prompt longer than one message goes on in the next ones."""
    await pastes.collect(update, context, who, functools.partial(_take, who))


async def _take(who: Who, message: Message, text: str) -> None:
    bot = message.get_bot()
    command_and_text = text.split(maxsplit=1)
    text = command_and_text[1] if len(command_and_text) > 1 else ""
    if not text.strip():
        spec, aspect = await cards.starting_point(who)
        if await cards.affordable(who, bot, message.chat_id, spec.price):
            await who.services.drafts.start(who.id, step="prompt", model=spec.key, aspect=aspect)
            await message.reply_text(t(who.lang, "imagine_ask"))
        return
    prompt, problem = cards.clean_prompt(who, text)
    if problem:
        await message.reply_text(problem)
        return
    result = await cards.replied_result(who, message)
    if result is not None:  # /imagine as a reply to a result edits it, as typed text does
        await cards.edit_result(who, bot, message, result, prompt)
    elif cards.unnamed_album_photo(message):
        await message.reply_text(t(who.lang, "reply_album_photo"))
    else:
        await cards.open_card(who, bot, message.chat_id, prompt)


def register(app: Application, group: int = 0) -> None:
    app.add_handler(CommandHandler(("imagine", "generate"), imagine), group)
