"""Real-component fixtures: a fresh database (SQLite or PostgreSQL), the app, clients.

FINBOT_TEST_DATABASE_URL picks the database server: unset means a SQLite file;
a postgresql+asyncpg URL means a throw-away database created on that server
for this run and dropped after it.
"""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from core.config import Settings
from core.db import Database
from core.models import Base
from finbot.processes import create_app
from migrations import upgrade

TEST_DATABASE_URL = os.environ.get("FINBOT_TEST_DATABASE_URL", "")
PASSWORD = "correct horse battery"


def _on_postgres() -> bool:
    return TEST_DATABASE_URL.startswith("postgresql")


async def _admin_execute(url: str, statement: str) -> None:
    database = Database(url, isolation_level="AUTOCOMMIT")
    try:
        async with database.engine.connect() as conn:
            await conn.exec_driver_sql(statement)
    finally:
        await database.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not _on_postgres():
        path = tmp_path_factory.mktemp("db") / "finbot-test.db"
        url = f"sqlite+aiosqlite:///{path}"
        upgrade(url)
        yield url
        return
    name = f"finbot_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin_execute(TEST_DATABASE_URL, f'CREATE DATABASE "{name}"'))
    url = make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        asyncio.run(_admin_execute(TEST_DATABASE_URL, f'DROP DATABASE "{name}" WITH (FORCE)'))


async def aiosqlite_threads_finished() -> None:
    """Wait for aiosqlite's worker threads to end.

    A connection that failed to open still hands its stop back to the event loop
    from its thread; if the loop closes first, that thread raises into the next test.
    """
    import threading

    for _ in range(100):
        if not any("_connection_worker_thread" in t.name for t in threading.enumerate()):
            return
        await asyncio.sleep(0.05)


def free_port_url() -> str:
    """host:port where nothing listens."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"


# Reference data, not anyone's: slow to load again (the shipped ECB history).
REFERENCE_TABLES = frozenset({"rates"})


async def clean_database(database: Database, *, keep_reference: bool = False) -> None:
    """Empty every table, so each test starts from nothing (but the rates, when
    `keep_reference`: tests that convert need them, and they never change in one)."""
    tables = [
        table.name
        for table in reversed(Base.metadata.sorted_tables)
        if not (keep_reference and table.name in REFERENCE_TABLES)
    ]
    async with database.engine.begin() as conn:
        if database.is_sqlite:
            for name in tables:
                await conn.execute(text(f'DELETE FROM "{name}"'))
        else:
            quoted = ", ".join(f'"{name}"' for name in tables)
            await conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))


async def _clean(url: str) -> None:
    database = Database(url)
    await clean_database(database, keep_reference=True)
    await database.dispose()


@pytest.fixture
async def empty_database(database_url: str) -> str:
    """The test database, emptied, for tests that run finbot in other processes."""
    await _clean(database_url)
    return database_url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        storage_dir=tmp_path / "data",
        public_url="http://finbot.test",
        secret_key="test-secret-key",
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[object]:
    application = create_app(settings)
    await clean_database(application.state.database, keep_reference=True)
    yield application
    await application.state.database.dispose()


@pytest.fixture
async def client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://finbot.test") as http:
        yield http


async def make_user(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    """Sign up and log in; returns the Authorization header."""
    answer = await client.post(
        "/api/auth/signup/",
        json={"username": username, "email": f"{username}@example.org", "password": PASSWORD},
    )
    assert answer.status_code == 201, answer.text
    login = await client.post("/api/auth/login/", json={"username": username, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['token']}"}


@pytest.fixture
async def alice(client: httpx.AsyncClient) -> dict[str, str]:
    return await make_user(client, "alice")


@pytest.fixture
async def bob(client: httpx.AsyncClient) -> dict[str, str]:
    return await make_user(client, "bob")
