"""One database transaction per update, with the chat's account loaded; and the
guard that keeps handlers needing an account from running without one."""

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject

from bot import texts
from core.db import Database
from core.metrics import BOT_UPDATES
from core.telegram import service as chats

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class DatabaseMiddleware(BaseMiddleware):
    def __init__(self, database: Database) -> None:
        self.database = database

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        # Handlers commit before they say "saved" (so the reply is true); whatever is
        # left is committed when the handler returns, and rolled back (the errors
        # handler apologises) when it raises, so an update is never half-recorded.
        try:
            async with self.database.session() as session:
                chat: Chat | None = data.get("event_chat")
                data["session"] = session
                data["user"] = await chats.user_for_chat(session, chat.id) if chat else None
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
