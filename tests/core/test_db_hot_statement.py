"""HotStatement: the statements every request runs give the rows, the transaction and
the errors SQLAlchemy's own execution gives, on either database (on PostgreSQL they
go straight to asyncpg, and SQLite's quick reads straight to sqlite3)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import (
    bindparam,
    event,
    exc,
    func,
    insert,
    literal,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.dialects import postgresql

from core.db import QUICK_READ, Database, HotStatement
from core.models import ChatEntry, Expense, User
from tests.conftest import clean_database

EXPENSES = HotStatement(
    select(
        Expense.id,
        Expense.amount,
        Expense.date,
        Expense.description,
        Expense.created_at,
        literal(7).label("seven"),
        (Expense.amount > 100).label("big"),
    )
    .where(Expense.user_id == bindparam("user_id"), Expense.amount >= bindparam("at_least"))
    .order_by(Expense.id)
)
# The same, marked as a quick read: on SQLite it goes straight to sqlite3.
QUICK_EXPENSES = HotStatement(EXPENSES.statement.execution_options(**QUICK_READ))
NEW_ENTRY = HotStatement(
    insert(ChatEntry)
    .values(
        {
            name: bindparam(name)
            for name in ("chat_id", "user_id", "kind", "object_id", "message_id", "created_at")
        }
    )
    .returning(ChatEntry.id, ChatEntry.created_at)
)
ENTRIES = select(func.count()).select_from(ChatEntry)


@pytest.fixture
async def database(app) -> Database:
    database: Database = app.state.database
    await clean_database(database)
    return database


async def _user_with_expenses(database: Database) -> int:
    async with database.session() as session:
        user = User(username="hot", email=None, password_hash=None)
        session.add(user)
        await session.flush()
        for amount, description in (("12.3", "lunch"), ("0.5", None), ("1000", "rent")):
            session.add(
                Expense(
                    user_id=user.id,
                    category="food",
                    amount=Decimal(amount),
                    currency="EUR",
                    base_amount=Decimal(amount),
                    rate_date=date(2026, 11, 2),
                    date=date(2026, 11, 2),
                    description=description,
                )
            )
        return user.id


def _entry(user_id: int, chat_id: int = 5) -> dict[str, object]:
    return {
        "chat_id": chat_id,
        "user_id": user_id,
        "kind": "expense",
        "object_id": 1,
        "message_id": None,
        "created_at": datetime(2026, 11, 2, 10, 30, tzinfo=UTC),
    }


@pytest.mark.parametrize("hot_statement", [EXPENSES, QUICK_EXPENSES], ids=["plain", "quick"])
async def test_rows_are_the_ones_sqlalchemy_reads(database, hot_statement):
    user_id = await _user_with_expenses(database)
    params = {"user_id": user_id, "at_least": Decimal("1")}
    async with database.session() as session:
        hot = await hot_statement.rows(session, params)
        plain = (await session.execute(hot_statement.statement, params)).all()
    assert [tuple(row) for row in hot] == [tuple(row) for row in plain]
    first, second = hot
    # Named, typed as the models say: exact money, aware UTC times, the literal's value.
    assert (first.amount, first.description, first.seven) == (Decimal("12.300"), "lunch", 7)
    assert str(second.amount) == "1000.000" and second.date == date(2026, 11, 2)
    assert first.created_at.tzinfo is not None and first.created_at.utcoffset().total_seconds() == 0
    assert (first.big, second.big) == (False, True)
    async with database.session() as session:
        assert await hot_statement.one_or_none(session, {**params, "user_id": user_id + 1}) is None


async def test_a_quick_read_on_sqlite_skips_sqlalchemys_execution(database):
    if not database.is_sqlite:
        pytest.skip("on PostgreSQL every hot statement goes straight to asyncpg")
    user_id = await _user_with_expenses(database)
    executed: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        executed.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with database.session() as session:
            assert len(await QUICK_EXPENSES.rows(session, {"user_id": user_id, "at_least": 0})) == 3
            assert executed == []
            assert len(await EXPENSES.rows(session, {"user_id": user_id, "at_least": 0})) == 3
            assert len(executed) == 1
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", seen)


async def test_a_failed_quick_read_is_sqlalchemys_error(database):
    missing = HotStatement(
        select(literal_column("x"))
        .select_from(table("no_such_table"))
        .execution_options(**QUICK_READ)
    )
    with pytest.raises(exc.DBAPIError):
        async with database.session() as session:
            await missing.rows(session, {})
    async with database.session() as session:  # the pool still serves
        assert (await session.execute(ENTRIES)).scalar() == 0


async def test_a_write_is_part_of_the_unit_of_work(database):
    user_id = await _user_with_expenses(database)
    with pytest.raises(RuntimeError):
        async with database.session() as session:
            [row] = await NEW_ENTRY.rows(session, _entry(user_id))
            assert row.id > 0 and row.created_at == datetime(2026, 11, 2, 10, 30, tzinfo=UTC)
            # Read in the same transaction: the write is seen there.
            assert (await session.execute(ENTRIES)).scalar() == 1
            raise RuntimeError("the request failed after the write")
    async with database.session() as session:
        assert (await session.execute(ENTRIES)).scalar() == 0  # rolled back with the rest
        await NEW_ENTRY.rows(session, _entry(user_id))
    async with database.session() as session:
        assert (await session.execute(ENTRIES)).scalar() == 1  # committed with the rest


async def test_a_write_after_the_blocks_own_commit_is_in_its_next_transaction(database):
    """The session's connection is kept per transaction (issue 12): once the block
    commits, the next statement asks again and its write goes with the block's end."""
    user_id = await _user_with_expenses(database)
    with pytest.raises(RuntimeError):
        async with database.session() as session:
            await NEW_ENTRY.rows(session, _entry(user_id, chat_id=5))
            await session.commit()  # as a chat entry does before it says "saved"
            # Another task takes the connection the commit gave back to the pool.
            async with database.engine.connect():
                await NEW_ENTRY.rows(session, _entry(user_id, chat_id=6))
                assert (await session.execute(ENTRIES)).scalar() == 2
            raise RuntimeError("the block failed after its second write")
    async with database.session() as session:
        assert (await session.execute(select(ChatEntry.chat_id))).scalars().all() == [5]


async def test_a_violated_constraint_is_sqlalchemys_integrity_error(database):
    user_id = await _user_with_expenses(database)
    with pytest.raises(exc.IntegrityError):
        async with database.session() as session:
            await NEW_ENTRY.rows(session, _entry(user_id + 1000))  # no such user
    # Nothing was written, and the pool's connections still serve.
    async with database.session() as session:
        assert (await session.execute(ENTRIES)).scalar() == 0
        assert len(await NEW_ENTRY.rows(session, _entry(user_id))) == 1


async def test_a_lost_connection_is_dropped_from_the_pool(database):
    if database.is_sqlite:
        pytest.skip("no server to lose: SQLite is a file the process opens")
    user_id = await _user_with_expenses(database)
    params = {"user_id": user_id, "at_least": Decimal("0")}
    with pytest.raises(exc.DBAPIError) as raised:
        async with database.session() as session:
            await EXPENSES.rows(session, params)
            async with database.engine.connect() as other:
                pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar()
                await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            await EXPENSES.rows(session, params)
    assert raised.value.connection_invalidated
    for _ in range(database.engine.pool.size() + 1):  # every pooled connection answers
        async with database.session() as session:
            assert len(await EXPENSES.rows(session, params)) == 3


def test_a_statement_rewritten_per_call_is_refused():
    # An IN list is expanded into the SQL on each call: no SQL to compile once.
    by_ids = select(User.id).where(User.id.in_(bindparam("ids", expanding=True)))
    with pytest.raises(ValueError, match="plain bound parameters"):
        HotStatement(by_ids).plan(postgresql.asyncpg.dialect())
