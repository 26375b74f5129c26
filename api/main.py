"""create_app(): the REST front door."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.routes import auth, health, ledger, reports
from core.config import Settings
from core.db import Database

log = logging.getLogger("finbot.api")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    database = Database(settings.database_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await database.dispose()

    app = FastAPI(
        title="finbot",
        version="0.1.0",
        summary="Self-hosted personal finance assistant",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.database = database
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
    return app
