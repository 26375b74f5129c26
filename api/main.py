"""create_app(): the REST front door."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import install_error_handlers
from api.routes import auth, health, ledger, notifications, payments, reports
from api.routes.documents import documents_router
from core.config import Settings
from core.db import Database
from core.logs import install_log_redaction
from core.notifications.bus import NotificationBus
from core.notifications.service import take_pending
from core.payments import make_gateway
from storage import make_store

log = logging.getLogger("finbot.api")
JSON_BODY_LIMIT = 1024 * 1024


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    database = Database(settings.database_url)
    bus = NotificationBus(settings.redis_url)

    async def push_notifications(session: AsyncSession) -> None:
        await bus.publish(take_pending(session))

    database.after_commit(push_notifications)
    install_log_redaction()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await bus.start()
        yield
        await bus.stop()
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
    app.state.store = make_store(settings)
    app.state.gateway = make_gateway(settings)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(auth.router)
    for router in (
        ledger.expenses_router,
        ledger.incomes_router,
        ledger.budgets_router,
        ledger.goals_router,
    ):
        app.include_router(router)
    app.include_router(reports.router)
    app.include_router(notifications.router)
    app.include_router(documents_router(settings))
    app.include_router(payments.router)
    return app
