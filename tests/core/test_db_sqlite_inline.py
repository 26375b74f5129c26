"""SQLite: a one-row INSERT inside the write transaction, and the COMMIT, run on the
event loop's thread, so the writer lock is never held across turns of a busy loop;
what may touch many rows, and a BEGIN that would have to wait, still go to the
driver's thread."""

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from core.db import QUICK_READ, Database
from migrations import upgrade

INSERT = "INSERT INTO login_failures (key, at) VALUES (:key, '2026-01-01')"


@pytest.fixture
def sqlite_file(tmp_path: Path) -> str:
    # Always a SQLite file of its own, whichever database this run uses.
    path = tmp_path / "inline.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return str(path)


@pytest.fixture
async def database(sqlite_file: str) -> AsyncIterator[tuple[Database, str]]:
    database = Database(f"sqlite+aiosqlite:///{sqlite_file}")
    yield database, sqlite_file
    await database.dispose()


def count_driver_trips(connection: Any) -> list[str]:
    """Every function sent to this connection's driver thread, by name (instrumented
    on the live connection: the statements still run for real)."""
    driver = connection.sync_connection.connection.dbapi_connection._connection
    trips: list[str] = []
    original = driver._execute

    async def counted(fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(fn, "__name__", repr(fn)))
        return await original(fn, *args, **kwargs)

    driver._execute = counted
    return trips


async def stored(database: Database) -> int:
    async with database.session() as session:
        return (await session.execute(text("SELECT count(*) FROM login_failures"))).scalar_one()


async def test_one_row_inserts_and_the_commit_make_no_trip_to_the_driver_thread(database):
    db, _ = database
    async with db.session() as session:
        connection = await session.connection()
        trips = count_driver_trips(connection)
        await session.execute(text(INSERT), {"key": "a"})
        await session.execute(text(INSERT), {"key": "b"})
    assert trips == []
    assert await stored(db) == 2


async def test_a_statement_that_may_touch_many_rows_goes_to_the_thread(database):
    db, _ = database
    async with db.session() as session:
        await session.execute(text(INSERT), {"key": "a"})
    async with db.session() as session:
        connection = await session.connection()
        trips = count_driver_trips(connection)
        await session.execute(
            text("INSERT INTO login_failures (key, at) SELECT key || 'x', at FROM login_failures")
        )
        await session.execute(text("UPDATE login_failures SET key = upper(key)"))
    assert len(trips) == 2
    assert await stored(db) == 2


async def test_a_foreign_writer_holding_sqlite_lock_is_waited_for_off_the_loop(database):
    db, path = database
    outsider = sqlite3.connect(path, isolation_level=None)  # e.g. a migration, past our lock
    outsider.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def write() -> None:
        async with db.session() as session:
            await session.execute(text(INSERT), {"key": "late"})

    clock = asyncio.create_task(ticking())
    writing = asyncio.create_task(write())
    await asyncio.sleep(0.3)
    assert not writing.done()  # waiting for SQLite's lock...
    assert ticks >= 10  # ...without stopping the loop
    outsider.execute("COMMIT")
    outsider.close()
    await asyncio.wait_for(writing, 10)
    clock.cancel()
    assert await stored(db) == 1


async def test_a_quick_read_runs_inline_and_any_other_read_in_the_thread(database):
    db, _ = database
    async with db.session() as session:
        await session.execute(text(INSERT), {"key": "a"})
    count = text("SELECT count(*) FROM login_failures")
    async with db.session() as session:
        connection = await session.connection()
        trips = count_driver_trips(connection)
        quick = await connection.execute(count.execution_options(**QUICK_READ))
        assert quick.scalar_one() == 1 and trips == []
        plain = await connection.execute(count)
        assert plain.scalar_one() == 1 and len(trips) == 1
