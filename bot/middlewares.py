"""One database transaction per update, with the chat's account loaded."""

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Chat, TelegramObject

from core.db import Database
from core.metrics import BOT_UPDATES
from core.telegram import service as chats


class DatabaseMiddleware(BaseMiddleware):
    def __init__(self, database: Database) -> None:
        self.database = database

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        # Committed when the handler returns; rolled back (and the errors handler
        # apologises) when it raises, so an update is never half-recorded.
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
