"""PostgreSQL: a unit of work opens its transaction at its first write, so a request
that only reads makes no BEGIN/COMMIT round trips; what needs a transaction still
gets one (writes, row locks, transaction-scoped advisory locks)."""

import pytest
from sqlalchemy import text

from core.db import Database


@pytest.fixture
async def database(app):
    database: Database = app.state.database
    if database.is_sqlite:
        pytest.skip("PostgreSQL's lazy BEGIN (SQLite has its own, tested with the writer lock)")
    await _exec(database, "CREATE TABLE IF NOT EXISTS lazy_begin (n int)")
    await _exec(database, "DELETE FROM lazy_begin")
    yield database
    await _exec(database, "DROP TABLE lazy_begin")


async def _exec(database: Database, sql: str) -> None:
    async with database.session() as session:
        await session.execute(text(sql))


def _in_transaction(connection) -> bool:  # the asyncpg adapter under SQLAlchemy
    return connection.sync_connection.connection.dbapi_connection._transaction is not None


async def test_reads_run_before_begin_and_the_first_write_opens_the_transaction(database):
    async with database.session() as session:
        connection = await session.connection()
        await session.execute(text("SELECT count(*) FROM lazy_begin"))
        assert not _in_transaction(connection)
        await session.execute(text("INSERT INTO lazy_begin VALUES (1)"))
        assert _in_transaction(connection)
        # A read after the write runs inside the transaction and sees the write.
        seen = (await session.execute(text("SELECT count(*) FROM lazy_begin"))).scalar()
        assert seen == 1
        await session.rollback()
    async with database.session() as session:
        assert (await session.execute(text("SELECT count(*) FROM lazy_begin"))).scalar() == 0


@pytest.mark.parametrize(
    "locking",
    [
        "SELECT n FROM lazy_begin FOR UPDATE",
        "SELECT pg_advisory_xact_lock(4242)",
        "WITH moved AS (DELETE FROM lazy_begin RETURNING n) SELECT count(*) FROM moved",
    ],
)
async def test_statements_that_need_the_transaction_open_it(database, locking):
    async with database.session() as session:
        connection = await session.connection()
        await session.execute(text(locking))
        assert _in_transaction(connection)


async def test_an_advisory_transaction_lock_is_held_until_commit(database):
    async with database.session() as holder:
        await holder.execute(text("SELECT pg_advisory_xact_lock(4343)"))
        async with database.session() as other:
            taken = await other.execute(text("SELECT pg_try_advisory_xact_lock(4343)"))
            assert taken.scalar() is False
