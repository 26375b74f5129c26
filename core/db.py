"""Engine, sessions and the one transaction per unit of work."""

import asyncio
import fcntl
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import await_only

log = logging.getLogger("finbot.db")
CommitHook = Callable[[AsyncSession], Awaitable[None]]

# Keys in a pooled SQLite connection's info dict.
_HOLDS_WRITER = "finbot_holds_writer"
_IN_WRITE = "finbot_in_write_transaction"
_READ_PREFIXES = ("SELECT", "PRAGMA", "WITH")


class WriterFileLock:
    """An exclusive flock on a file next to the database, shared by every finbot process.

    SQLite's own busy handler sleeps (up to 100 ms a try) and polls, which makes
    writers in different processes wait far longer than the writer ahead of
    them takes. The kernel wakes a flock waiter the moment the lock is let go.
    """

    def __init__(self, database_path: str) -> None:
        self.path = f"{database_path}.writer-lock"
        self._fd: int | None = None

    def _descriptor(self) -> int:
        # Opened lazily and per process: a descriptor inherited over fork would
        # share its lock with the parent.
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._fd

    async def acquire(self, on_failure: Callable[[], None]) -> None:
        """Take the lock. If that fails or is cancelled, `on_failure` runs once it is not held."""
        try:
            fd = self._descriptor()
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # uncontended: no thread hop
            return
        except BlockingIOError:
            pass
        except BaseException:
            on_failure()
            raise
        waiter = asyncio.ensure_future(asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX))
        try:
            await asyncio.shield(waiter)
        except asyncio.CancelledError:
            # The thread cannot be stopped: whenever it gets the lock, give it back.
            def give_back(done: "asyncio.Future[None]") -> None:
                if not done.cancelled() and done.exception() is None:
                    self.release()
                on_failure()

            waiter.add_done_callback(give_back)
            raise
        except BaseException:
            on_failure()
            raise

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _sqlite_file(url: str) -> str | None:
    """The database file of a SQLite URL, or None for an in-memory database."""
    from sqlalchemy.engine import make_url

    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return os.path.abspath(path)


def _tune_sqlite(engine: AsyncEngine, file_lock: WriterFileLock | None) -> None:
    """WAL, foreign keys, and one writer at a time without SQLite's polling.

    SQLite allows one writer. A deferred transaction that reads and then writes
    fails at once ("database is locked") when another writer committed in
    between, and writers that collide wait in a busy handler that sleeps and
    polls. So: statements run in autocommit until the first write; that write
    first takes an in-process asyncio lock, then the cross-process file lock,
    then BEGIN IMMEDIATE; both locks are released when the connection goes back
    to the pool. Reads never wait; writers of every process queue and are woken
    at once; busy_timeout is left only for writers that bypass the file lock
    (migrations).
    """
    writer = asyncio.Lock()

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _begin_write(conn: Connection, cursor: Any, statement: str, *_: Any) -> None:
        info = conn.info
        if info.get(_IN_WRITE) or statement.lstrip()[:6].upper().startswith(_READ_PREFIXES):
            return
        # record_info outlives an invalidated connection, so the lock is always
        # given back at checkin, even after a connection error.
        held = conn.connection.record_info
        if held is None:  # only a detached connection has none; finbot never detaches
            held = info
        if not held.get(_HOLDS_WRITER):
            await_only(writer.acquire())
            if file_lock is not None:
                await_only(file_lock.acquire(on_failure=writer.release))
            held[_HOLDS_WRITER] = True
        cursor.execute("BEGIN IMMEDIATE")
        info[_IN_WRITE] = True

    @event.listens_for(engine.sync_engine, "commit")
    @event.listens_for(engine.sync_engine, "rollback")
    def _end_write(conn: Connection) -> None:
        conn.info.pop(_IN_WRITE, None)

    @event.listens_for(engine.sync_engine.pool, "checkin")
    def _release_writer(_dbapi_connection: Any, record: Any) -> None:
        if record.record_info.pop(_HOLDS_WRITER, False):
            if file_lock is not None:
                file_lock.release()
            writer.release()


def make_engine(url: str, file_lock: WriterFileLock | None = None, **kwargs: Any) -> AsyncEngine:
    # A fixed pool and no overflow: overflow connections are closed as soon as
    # they are returned, so a busy API would open (and TLS-negotiate) a new
    # connection per request. Requests wait for a pooled one instead.
    kwargs.setdefault("max_overflow", 0)
    if url.startswith("sqlite"):
        kwargs.setdefault("pool_size", 8)
        engine = create_async_engine(url, **kwargs)
        _tune_sqlite(engine, file_lock)
        return engine
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("pool_timeout", 10)
    return create_async_engine(url, **kwargs)


class Database:
    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        sqlite_file = _sqlite_file(url) if self.is_sqlite else None
        self.writer_lock = WriterFileLock(sqlite_file) if sqlite_file else None
        self.engine = make_engine(url, self.writer_lock, **engine_kwargs)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        self._after_commit: list[CommitHook] = []

    def after_commit(self, hook: "CommitHook") -> None:
        """Run `hook(session)` after each successful commit of `session()`.

        For side effects that must not outrun the data (pushing notifications).
        """
        self._after_commit.append(hook)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends, rolled back on error."""
        async with self.sessionmaker() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                session.info.clear()  # nothing made in there may leak out
                raise
            for hook in self._after_commit:
                try:
                    await hook(session)
                except Exception:  # the data is committed; a failed side effect is logged
                    log.exception("after-commit hook failed")

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.writer_lock is not None:
            self.writer_lock.close()
