"""The bot: Bot client, Dispatcher, commands, polling or webhook, alert delivery."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import BotCommand, BotCommandScopeAllGroupChats

from bot.delivery import ChatDelivery
from bot.errors import on_error
from bot.filters import on_loop
from bot.handlers import (
    edits,
    entries,
    household,
    overview,
    photos,
    recurring,
    start,
    statements,
)
from bot.middlewares import DatabaseMiddleware
from bot.session import JsonSession
from core.config import Settings
from core.db import Database
from storage import DocumentStore

log = logging.getLogger("finbot.bot")

COMMANDS = [
    BotCommand(command="add", description="Record an expense: /add 50 lunch"),
    BotCommand(command="expense", description="Record an expense: /expense 12.30 taxi"),
    BotCommand(command="spent", description="Record an expense: /spent 20 groceries"),
    BotCommand(command="income", description="Record an income: /income 300 freelance"),
    BotCommand(command="budget", description="Your budgets this period"),
    BotCommand(command="goals", description="Your savings goals"),
    BotCommand(command="save", description="Add to a goal: /save 100 vacation"),
    BotCommand(command="report", description="Summary with a chart: /report week|month"),
    BotCommand(command="recurring", description="Your recurring entries, with Stop buttons"),
    BotCommand(command="safe", description="What is safe to spend a day until pay day"),
    BotCommand(command="undo", description="Take back the last entry"),
    BotCommand(command="help", description="What I understand"),
]
GROUP_COMMANDS = [
    BotCommand(command="household", description="Make this group your household's chat"),
    BotCommand(command="balance", description="Who owes whom"),
    BotCommand(command="settle", description="You paid someone: /settle @name 20"),
    BotCommand(command="help", description="What I do in a group"),
]


def _pin_response_types() -> list[type]:
    """aiogram reads every answer as `Response[<the method's type>]`. pydantic keeps
    such parametrised models only weakly, so a garbage collection drops them and the
    next reply builds the model again (milliseconds, one reply in twenty under load).
    Held here, the replies the bot sends all the time reuse theirs."""
    from aiogram.client.session.base import Response
    from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage, SendPhoto

    methods = (SendMessage, SendPhoto, EditMessageText, AnswerCallbackQuery)
    returning: list[Any] = [method.__returning__ for method in methods]
    return [Response[kind] for kind in returning]  # type: ignore[valid-type]


_PINNED_RESPONSE_TYPES: list[type] = []


def make_bot(settings: Settings) -> Bot:
    assert settings.telegram_bot_token is not None
    if not _PINNED_RESPONSE_TYPES:
        _PINNED_RESPONSE_TYPES.extend(_pin_response_types())
    session = JsonSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    return Bot(settings.telegram_bot_token.get_secret_value(), session=session)


def _fsm_storage(settings: Settings) -> BaseStorage:
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        return RedisStorage.from_url(settings.redis_url)
    return MemoryStorage()


def make_dispatcher(database: Database, store: DocumentStore, settings: Settings) -> Dispatcher:
    dispatcher = Dispatcher(
        storage=_fsm_storage(settings), database=database, store=store, settings=settings
    )
    dispatcher.update.outer_middleware(DatabaseMiddleware(database))
    dispatcher.errors.register(on_error)
    # A person's own money is talked about in private only; groups have their router.
    private = Router(name="private")
    private.message.filter(on_loop(F.chat.type == "private"))
    private.edited_message.filter(on_loop(F.chat.type == "private"))
    # Commands first; plain text last, so that it never swallows a command.
    private.include_routers(
        start.make_router(),
        overview.make_router(),
        photos.make_router(),
        recurring.make_router(),  # its commands; a recurring message is told apart by entries
        statements.make_router(),
        entries.make_router(),
        edits.make_router(),
    )
    dispatcher.include_routers(household.make_router(), private)
    return dispatcher


async def prepare(bot: Bot, settings: Settings) -> None:
    """Register the command menu, and the webhook (or remove one, for polling)."""
    await bot.set_my_commands(COMMANDS)
    await bot.set_my_commands(GROUP_COMMANDS, scope=BotCommandScopeAllGroupChats())
    if settings.telegram_webhook_url:
        secret = settings.telegram_webhook_secret
        await bot.set_webhook(
            settings.telegram_webhook_url,
            secret_token=secret.get_secret_value() if secret else None,
            allowed_updates=["message", "edited_message", "callback_query"],
        )
    else:
        await bot.delete_webhook(drop_pending_updates=False)


async def run_polling(
    bot: Bot, database: Database, store: DocumentStore, settings: Settings
) -> None:
    """`finbot bot`: long polling, plus alert delivery, until stopped."""
    dispatcher = make_dispatcher(database, store, settings)
    delivery = asyncio.create_task(ChatDelivery(bot, database).run_forever())
    try:
        await prepare(bot, settings)
        await dispatcher.start_polling(bot, handle_signals=True, close_bot_session=True)
    finally:
        delivery.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await delivery


@contextlib.asynccontextmanager
async def run_bot_alongside(
    bot: Bot, dispatcher: Dispatcher, database: Database, settings: Settings
) -> AsyncIterator[None]:
    """Inside `finbot serve`: the webhook is served by the API (or we poll), and alerts go out."""
    try:
        await prepare(bot, settings)
    except Exception:  # Telegram down at start must not keep the API down
        log.exception("could not register the bot's commands or webhook")
    tasks = [asyncio.create_task(ChatDelivery(bot, database).run_forever())]
    if not settings.telegram_webhook_url:
        tasks.append(
            asyncio.create_task(
                dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False)
            )
        )
    try:
        yield
    finally:
        if not settings.telegram_webhook_url:
            with contextlib.suppress(RuntimeError):  # polling may not have started yet
                await dispatcher.stop_polling()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


@contextlib.asynccontextmanager
async def bot_session_closed(bot: Bot) -> AsyncIterator[None]:
    """Close the bot's HTTP session when its host stops."""
    try:
        yield
    finally:
        await bot.session.close()
