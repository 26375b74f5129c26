"""SQLite writers in different processes queue on one file lock: none waits in
SQLite's sleeping busy handler, none fails with "database is locked", none is lost."""

import asyncio
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from core.db import Database
from migrations import upgrade
from tests.conftest import PASSWORD
from tests.support.process import ServeProcess, clean_environment


@pytest.fixture
def sqlite_file(tmp_path: Path) -> str:
    # Always a SQLite file of its own, whichever database this run uses.
    path = tmp_path / "writers.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return str(path)


def lock_is_free(database_path: str) -> bool:
    """Whether another process could take the writers' lock right now."""
    fd = os.open(f"{database_path}.writer-lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)


async def test_a_write_transaction_holds_the_cross_process_lock(sqlite_file):
    first = Database(f"sqlite+aiosqlite:///{sqlite_file}")
    second = Database(f"sqlite+aiosqlite:///{sqlite_file}")  # as another process would
    try:
        async with first.session() as session:
            await session.execute(text("SELECT count(*) FROM users"))
            assert lock_is_free(sqlite_file)  # reads take no lock
            await session.execute(
                text("INSERT INTO login_failures (key, at) VALUES ('a', '2026-01-01')")
            )
            assert not lock_is_free(sqlite_file)

            async def write_from_second() -> None:
                async with second.session() as other:
                    await other.execute(
                        text("INSERT INTO login_failures (key, at) VALUES ('b', '2026-01-01')")
                    )

            waiting = asyncio.create_task(write_from_second())
            await asyncio.sleep(0.3)
            assert not waiting.done()  # queued on the lock, not failed
        await asyncio.wait_for(waiting, timeout=5)
        assert lock_is_free(sqlite_file)
        async with first.session() as session:
            count = (await session.execute(text("SELECT count(*) FROM login_failures"))).scalar()
        assert count == 2
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_failed_write_gives_the_lock_back(sqlite_file):
    database = Database(f"sqlite+aiosqlite:///{sqlite_file}")
    try:
        with pytest.raises(IntegrityError):
            async with database.session() as session:
                await session.execute(text("INSERT INTO expenses (user_id) VALUES (NULL)"))
        assert lock_is_free(sqlite_file)
    finally:
        await database.dispose()


@pytest.fixture
def two_workers(sqlite_file: str, tmp_path: Path) -> Iterator[ServeProcess]:
    env = clean_environment(
        FINBOT_DATABASE_URL=f"sqlite+aiosqlite:///{sqlite_file}",
        FINBOT_STORAGE_DIR=str(tmp_path / "data"),
    )
    args = ("--workers", "2", "--no-bot", "--no-scheduler")
    with ServeProcess(tmp_path / "serve", *args, env=env) as server:
        yield server


async def test_32_writers_across_two_processes_lose_nothing(two_workers):
    writers, each = 32, 8
    limits = httpx.Limits(max_connections=writers)
    async with httpx.AsyncClient(base_url=two_workers.url, timeout=30, limits=limits) as http:
        await http.post(
            "/api/auth/signup/",
            json={"username": "many", "email": "many@example.org", "password": PASSWORD},
        )
        login = await http.post("/api/auth/login/", json={"username": "many", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['token']}"}

        async def writer(n: int) -> list[int]:
            statuses = []
            for k in range(each):
                answer = await http.post(
                    "/api/expenses/",
                    headers=headers,
                    json={"category": f"c{n % 4}", "amount": f"{n}.{k:02d}", "date": "2026-05-01"},
                )
                statuses.append(answer.status_code)
            return statuses

        results = await asyncio.gather(*(writer(n) for n in range(1, writers + 1)))
        assert [s for statuses in results for s in statuses] == [201] * (writers * each)
        listed = await http.get("/api/expenses/?limit=1", headers=headers)
        assert listed.headers["X-Total-Count"] == str(writers * each)
    assert "database is locked" not in two_workers.log()
