"""create_app(): the REST front door, given the runtime's parts by finbot/."""

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any, Protocol

from fastapi import FastAPI

from api.admission import FifoAdmission, admitted_at_once
from api.deps import token_ttl
from api.errors import install_error_handlers
from api.observability import RequestLogMiddleware
from api.routes import (
    auth,
    export,
    health,
    household_balances,
    ledger,
    notifications,
    payments,
    reports,
    telegram,
)
from api.routes.documents import documents_router
from api.routes.households import router as households_router
from api.routes.imports import imports_router
from api.routes.planning import router as planning_router
from api.routes.rates import router as rates_router
from api.routes.recurring import router as recurring_router
from api.routes.rules import router as rules_router
from api.routes.telegram import LateUpdates
from core.config import Settings
from core.db import Database
from core.logs import install_log_redaction
from core.notifications.bus import NotificationBus
from core.notifications.sockets import LiveSockets
from core.payments.gateway import PaymentGateway
from storage import DocumentStore

log = logging.getLogger("finbot.api")
JSON_BODY_LIMIT = 1024 * 1024

# Something that runs for as long as the API does (the scheduler, the bot).
Hosted = Callable[[], AbstractAsyncContextManager[object]]


class Resources(Protocol):
    """What the API needs from the runtime (finbot/runtime.py builds it)."""

    settings: Settings
    database: Database
    bus: NotificationBus
    store: DocumentStore
    gateway: PaymentGateway | None

    def running(self) -> AbstractAsyncContextManager[object]: ...


def create_app(
    resources: Resources,
    *,
    bot: Any = None,
    dispatcher: Any = None,
    hosted: Sequence[Hosted] = (),
) -> FastAPI:
    """The API over `resources`; `bot` and `dispatcher` (aiogram's) serve the link
    and webhook routes; `hosted` run inside the API's lifespan, in order."""
    settings = resources.settings
    install_log_redaction()
    # Webhook updates still being handled after their request was answered.
    late_updates = LateUpdates()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(resources.running())
            for part in hosted:
                await stack.enter_async_context(part())
            yield
            # Before the bot's session closes: its replies go out through it.
            await late_updates.finish()

    app = FastAPI(
        title="finbot",
        version="0.1.0",
        summary="Self-hosted personal finance assistant",
        lifespan=lifespan,
        # JSON bodies are small; the upload route allows its own, larger limit.
        max_body_size=JSON_BODY_LIMIT,
    )
    app.state.settings = settings
    app.state.database = resources.database
    app.state.bus = resources.bus
    app.state.store = resources.store
    app.state.bot = bot
    app.state.dispatcher = dispatcher
    app.state.gateway = resources.gateway
    app.state.late_updates = late_updates
    app.state.live_sockets = LiveSockets(resources.database, token_ttl(settings))
    install_error_handlers(app)
    # Inside the log: waits count.
    app.add_middleware(
        FifoAdmission,
        limit=admitted_at_once(settings.database_url),
        wait_seconds=settings.queue_wait_seconds,
        body_seconds=settings.body_read_seconds,
    )
    app.add_middleware(RequestLogMiddleware)
    # Starlette tries routes in order, a few microseconds each: the busiest paths (the
    # entries and the bot's webhook) first. No two routers' paths overlap.
    for router in (
        ledger.expenses_router,
        ledger.incomes_router,
        telegram.router,
        ledger.budgets_router,
        ledger.goals_router,
    ):
        app.include_router(router)
    app.include_router(health.router)
    app.include_router(export.router)
    app.include_router(auth.router)
    app.include_router(reports.router)
    app.include_router(planning_router)
    app.include_router(rates_router)
    app.include_router(recurring_router)
    app.include_router(households_router)
    app.include_router(notifications.router)
    app.include_router(documents_router(settings))
    app.include_router(imports_router(settings))
    app.include_router(rules_router)
    app.include_router(payments.router)
    app.include_router(household_balances.router)
    return app
