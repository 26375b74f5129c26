"""What the bot does when handling an update fails."""

import logging

from aiogram.types import ErrorEvent

from bot import texts

log = logging.getLogger("finbot.bot")


class AlreadyAnswered(Exception):
    """The handler told the person what went wrong; just roll the update back."""


async def on_error(event: ErrorEvent) -> bool:
    if isinstance(event.exception, AlreadyAnswered):
        return True
    log.exception("update %s failed", event.update.update_id, exc_info=event.exception)
    chat = None
    if event.update.message:
        chat = event.update.message.chat.id
    elif event.update.callback_query and event.update.callback_query.message:
        chat = event.update.callback_query.message.chat.id
    if chat is not None:
        try:
            await event.update.bot.send_message(chat, texts.APOLOGY)  # type: ignore[union-attr]
        except Exception:  # the apology is best effort; the failure is already logged
            log.warning("could not send the apology to chat %s", chat)
    return True
