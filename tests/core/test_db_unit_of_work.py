"""Database.session(): one unit of work, committed once at its end; a block that
committed its own work and touched nothing since is not committed again (issue 12:
every chat entry commits before it says "saved")."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event, select

from core.db import Database
from core.models import User


@pytest.fixture
async def database(empty_database: str) -> AsyncIterator[Database]:
    db = Database(empty_database)
    yield db
    await db.dispose()


def counting_commits(session: Any) -> list[object]:
    commits: list[object] = []
    event.listen(session.sync_session, "after_commit", commits.append)
    return commits


async def test_work_left_at_the_end_of_the_block_is_committed_once(database):
    async with database.session() as session:
        commits = counting_commits(session)
        session.add(User(username="ann", email="ann@example.com", password_hash="x"))
    assert len(commits) == 1
    async with database.session() as session:
        assert (await session.execute(select(User.username))).scalars().all() == ["ann"]


async def test_a_block_that_committed_its_own_work_is_not_committed_again(database):
    async with database.session() as session:
        commits = counting_commits(session)
        session.add(User(username="ann", email="ann@example.com", password_hash="x"))
        await session.commit()
    assert len(commits) == 1


async def test_a_change_after_the_blocks_own_commit_is_still_committed(database):
    async with database.session() as session:
        commits = counting_commits(session)
        user = User(username="ann", email="ann@example.com", password_hash="x")
        session.add(user)
        await session.commit()
        user.currency = "USD"
    assert len(commits) == 2
    async with database.session() as session:
        assert (await session.execute(select(User.currency))).scalar_one() == "USD"


async def test_every_block_gives_its_connection_back(database):
    """Closed on every way out: committed, failed, cancelled (issue 12: a committed
    block is closed directly, the others through AsyncSession's guarded exit)."""
    pool = database.engine.sync_engine.pool
    async with database.session() as session:
        session.add(User(username="ann", email="ann@example.com", password_hash="x"))
    assert pool.checkedout() == 0

    with pytest.raises(RuntimeError):
        async with database.session() as session:
            session.add(User(username="bob", email="bob@example.com", password_hash="x"))
            await session.flush()
            raise RuntimeError("refused")
    assert pool.checkedout() == 0

    flushed = asyncio.Event()

    async def cancelled_midway() -> None:
        async with database.session() as session:
            session.add(User(username="cat", email="cat@example.com", password_hash="x"))
            await session.flush()
            flushed.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(cancelled_midway())
    await flushed.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert pool.checkedout() == 0
    async with database.session() as session:
        assert (await session.execute(select(User.username))).scalars().all() == ["ann"]
