"""One database transaction per update, with the chat's account loaded; and the
guard that keeps handlers needing an account from running without one."""

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, F
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, User

from bot import texts
from bot.filters import on_loop
from core.db import Database
from core.metrics import BOT_UPDATES
from core.telegram import service as chats

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def account_chat(chat: Chat | None, sender: User | None) -> int | None:
    """The private chat whose account acts: the chat itself, or in a group the
    sender's own (a person's private chat id is their user id)."""
    if chat is None or chat.type == "private":
        return chat.id if chat else None
    return sender.id if sender else None


class DatabaseMiddleware(BaseMiddleware):
    def __init__(self, database: Database) -> None:
        self.database = database

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        # Handlers commit before they say "saved" (so the reply is true); whatever is
        # left is committed when the handler returns, and rolled back (the errors
        # handler apologises) when it raises, so an update is never half-recorded.
        try:
            async with self.database.session() as session:
                data["session"] = session
                account = account_chat(data.get("event_chat"), data.get("event_from_user"))
                data["user"] = await chats.user_for_chat(session, account) if account else None
                result = await handler(event, data)
        except Exception:
            BOT_UPDATES.labels("error").inc()
            raise
        BOT_UPDATES.labels("ok").inc()
        return result


class RequireUser(BaseMiddleware):
    """For routers whose handlers need an account: without one, a message is told
    to /start first and a button press that it is too old; the handler never runs."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if data.get("user") is not None:
            return await handler(event, data)
        if isinstance(event, Message):
            await event.answer(texts.NOT_STARTED)
        elif isinstance(event, CallbackQuery):
            await event.answer(texts.TOO_OLD_TO_CHANGE)
        return None


def require_user(router: Any) -> Any:
    """Guard every message and button handler of `router` with RequireUser."""
    router.message.middleware(RequireUser())
    router.callback_query.middleware(RequireUser())
    return router


def commands_only(router: Any) -> Any:
    """For routers whose messages are all commands: one check of the leading "/" lets
    plain text pass the router by, instead of each command filter parsing it."""
    router.message.filter(on_loop(F.text.startswith("/") | F.caption.startswith("/")))
    return router
