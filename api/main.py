"""create_app(): the REST front door."""

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.observability import RequestLogMiddleware
from api.routes import auth, export, health, ledger, notifications, payments, reports, telegram
from api.routes.documents import documents_router
from api.routes.rates import router as rates_router
from core.config import Settings
from core.db import Database
from core.logs import install_log_redaction
from core.notifications.bus import NotificationBus
from core.notifications.service import connect_bus
from core.payments import make_gateway
from scheduler.app import scheduler_running
from storage import make_store

log = logging.getLogger("finbot.api")
JSON_BODY_LIMIT = 1024 * 1024


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    database = Database(settings.database_url)
    bus = NotificationBus(settings.redis_url)

    connect_bus(database, bus)
    install_log_redaction()

    store = make_store(settings)
    bot: Any = None
    dispatcher: Any = None
    if settings.telegram_bot_token:
        # aiogram weighs ~120 MB of memory: loaded only where a bot is configured.
        from bot.app import make_bot, make_dispatcher

        bot = make_bot(settings)
        if settings.run_bot:
            dispatcher = make_dispatcher(database, store, settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await bus.start()
        async with AsyncExitStack() as stack:
            if settings.run_scheduler:
                await stack.enter_async_context(scheduler_running(database, settings))
            if bot is not None and dispatcher is not None:
                from bot.app import run_bot_alongside

                await stack.enter_async_context(
                    run_bot_alongside(bot, dispatcher, database, settings)
                )
            yield
        await bus.stop()
        if bot is not None:
            await bot.session.close()
        await database.dispose()

    app = FastAPI(
        title="finbot",
        version="0.1.0",
        summary="Self-hosted personal finance assistant",
        lifespan=lifespan,
        # JSON bodies are small; the upload route allows its own, larger limit.
        max_body_size=JSON_BODY_LIMIT,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.bus = bus
    app.state.store = store
    app.state.bot = bot
    app.state.dispatcher = dispatcher
    app.state.gateway = make_gateway(settings)
    install_error_handlers(app)
    app.add_middleware(RequestLogMiddleware)
    app.include_router(health.router)
    app.include_router(export.router)
    app.include_router(auth.router)
    for router in (
        ledger.expenses_router,
        ledger.incomes_router,
        ledger.budgets_router,
        ledger.goals_router,
    ):
        app.include_router(router)
    app.include_router(reports.router)
    app.include_router(rates_router)
    app.include_router(notifications.router)
    app.include_router(documents_router(settings))
    app.include_router(payments.router)
    app.include_router(telegram.router)
    return app
