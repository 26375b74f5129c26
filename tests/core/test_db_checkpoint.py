"""SQLite: the write-ahead log is copied into the database by a thread of the process,
never inside a commit (commits run on the event loop's thread, where a checkpoint's
copying and fsync would stall every request)."""

import asyncio
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from core.db import Database
from migrations import upgrade

ROWS = 3000  # about 1,500 pages of log: past SQLite's own 1,000-page checkpoint


@pytest.fixture
def path(tmp_path: Path) -> Path:
    # Always a SQLite file of its own, whichever database this run uses.
    path = tmp_path / "wal.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


def rows_in_main_file(path: Path, copy: Path) -> int:
    """Rows the database file itself holds, without its log (a copy opened alone)."""
    shutil.copyfile(path, copy)
    connection = sqlite3.connect(copy)
    try:
        return connection.execute("SELECT count(*) FROM login_failures").fetchone()[0]
    finally:
        connection.close()


async def test_commits_never_checkpoint_and_the_thread_does(path: Path, tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{path}")
    try:
        async with database.session() as session:
            setting = await session.execute(text("PRAGMA wal_autocheckpoint"))
            assert setting.scalar_one() == 0
        assert database.checkpointer is not None
        database.checkpointer.INTERVAL_SECONDS = 3600  # hold the thread back for the first part
        for n in range(ROWS // 100):
            async with database.session() as session:
                for m in range(100):
                    await session.execute(
                        text("INSERT INTO login_failures (key, at) VALUES (:key, '2026-01-01')"),
                        {"key": f"{n}-{m}-" + "x" * 1000},
                    )
        # Past 1,000 pages, and still nothing copied: no commit checkpointed.
        assert rows_in_main_file(path, tmp_path / "first.db") == 0
    finally:
        await database.dispose()  # the thread's last turn copies the log
    assert rows_in_main_file(path, tmp_path / "second.db") == ROWS


async def test_the_thread_copies_the_log_while_the_process_runs(path: Path, tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{path}")
    try:
        async with database.session() as session:
            await session.execute(
                text("INSERT INTO login_failures (key, at) VALUES ('one', '2026-01-01')")
            )
        for _ in range(100):
            if rows_in_main_file(path, tmp_path / "copy.db") == 1:
                break
            await asyncio.sleep(0.05)
        assert rows_in_main_file(path, tmp_path / "copy.db") == 1
    finally:
        await database.dispose()
