"""The authenticated user is in the request's session as if the ORM had loaded it
(issue 12: attached the way the ORM's loading does, not by add()): a change to it is
written by the unit of work, and the session holds one copy per user."""

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import inspect, select

from core.auth.service import authenticate, issue_token
from core.db import Database
from core.models import User


@pytest.fixture
async def database(empty_database: str) -> AsyncIterator[Database]:
    db = Database(empty_database)
    yield db
    await db.dispose()


async def signed_in(database: Database) -> tuple[int, str]:
    async with database.session() as session:
        user = User(username="ann", email="ann@example.com", password_hash="x")
        session.add(user)
        await session.flush()
        token = await issue_token(session, user)
        return user.id, token


async def test_a_change_to_the_authenticated_user_is_written(database: Database) -> None:
    user_id, token = await signed_in(database)
    async with database.session() as session:
        user = await authenticate(session, token, timedelta(days=30))
        state = inspect(user)
        assert state.persistent and state.identity == (user_id,)
        assert user in session and not session.dirty
        user.timezone = "Europe/Paris"
        assert user in session.dirty
    async with database.session() as session:
        stored = await session.get(User, user_id)
        assert stored is not None and stored.timezone == "Europe/Paris"


async def test_the_session_holds_one_copy_of_the_user(database: Database) -> None:
    user_id, token = await signed_in(database)
    async with database.session() as session:
        loaded = (await session.execute(select(User).where(User.id == user_id))).scalar_one()
        assert await authenticate(session, token, timedelta(days=30)) is loaded
    async with database.session() as session:
        first = await authenticate(session, token, timedelta(days=30))
        assert await authenticate(session, token, timedelta(days=30)) is first
        assert await session.get(User, user_id) is first
