"""FastAPI dependencies as Annotated aliases."""

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import service as auth_service
from core.config import Settings
from core.crud import Paging
from core.db import Database
from core.exceptions import ServiceUnavailable, Unauthorized
from core.models import User
from core.payments.gateway import PaymentGateway
from storage import DocumentStore

if TYPE_CHECKING:  # aiogram is imported only where a bot is configured
    from aiogram import Bot


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the answer is sent."""
    database: Database = request.app.state.database
    async with database.session() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
# scope="function": commit (and its errors) happen before the response goes out.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="The token from POST /api/auth/login/")


async def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthorized("missing bearer token")
    return credentials.credentials


TokenDep = Annotated[str, Depends(bearer_token)]


def token_ttl(settings: Settings) -> timedelta:
    return timedelta(days=settings.token_ttl_days)


async def current_user(request: Request, session: SessionDep, token: TokenDep) -> User:
    return await auth_service.authenticate(session, token, token_ttl(request.app.state.settings))


CurrentUser = Annotated[User, Depends(current_user)]


async def paging(
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
) -> Paging:
    return Paging(limit=limit, offset=offset)


PagingDep = Annotated[Paging, Depends(paging)]


# The runtime's parts, put on app.state by create_app(): routes take them as
# dependencies, never from the request themselves.


async def get_store(request: Request) -> DocumentStore:
    store: DocumentStore = request.app.state.store
    return store


async def get_gateway(request: Request) -> PaymentGateway:
    gateway: PaymentGateway | None = request.app.state.gateway
    if gateway is None:
        raise ServiceUnavailable("payment gateway not configured")
    return gateway


async def get_bot(request: Request) -> "Bot":
    bot: Bot | None = request.app.state.bot
    if bot is None:
        raise ServiceUnavailable("telegram bot not configured")
    return bot


StoreDep = Annotated[DocumentStore, Depends(get_store)]
GatewayDep = Annotated[PaymentGateway, Depends(get_gateway)]
BotDep = Annotated["Bot", Depends(get_bot)]
