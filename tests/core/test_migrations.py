"""The Alembic head and the models describe the same schema."""

import asyncio
import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from core.db import Database
from core.models import Base, User


async def test_migrations_match_the_models(app):
    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        with warnings.catch_warnings():
            # SQLite cannot reflect expression indexes; alembic says so and skips them.
            warnings.filterwarnings("ignore", message=".*expression-based index.*")
            return compare_metadata(context, Base.metadata)

    async with app.state.database.engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_username_uniqueness_ignores_case_in_the_database(app):
    # Straight to the table, past the service's own check: the index must refuse it.
    async with app.state.database.session() as session:
        session.add(User(username="Zoe", email="z1@example.org"))
    with pytest.raises(IntegrityError):
        async with app.state.database.session() as session:
            session.add(User(username="zoe", email="z2@example.org"))
    # The failed write gave SQLite's writer lock back: the next write goes through.
    async with asyncio.timeout(5), app.state.database.session() as session:
        session.add(User(username="zed", email="z3@example.org"))


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    # Always on a SQLite file of its own, whichever database this run uses.
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/pragmas.db")
    try:
        async with database.engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
    finally:
        await database.dispose()
