"""Engine, sessions and the one transaction per unit of work."""

import asyncio
import logging
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


def _tune_sqlite(engine: AsyncEngine) -> None:
    """WAL, foreign keys, and one writer at a time without SQLite's polling.

    SQLite allows one writer. A deferred transaction that reads and then writes
    fails at once ("database is locked") when another writer committed in
    between, and writers that collide wait in a busy handler that sleeps and
    polls. So: statements run in autocommit until the first write; that write
    first takes an in-process asyncio lock, then BEGIN IMMEDIATE, and the lock
    is released when the connection goes back to the pool. Reads never wait;
    writers queue in order; busy_timeout still covers other processes.
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
            writer.release()


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    # A fixed pool and no overflow: overflow connections are closed as soon as
    # they are returned, so a busy API would open (and TLS-negotiate) a new
    # connection per request. Requests wait for a pooled one instead.
    kwargs.setdefault("max_overflow", 0)
    if url.startswith("sqlite"):
        kwargs.setdefault("pool_size", 8)
        engine = create_async_engine(url, **kwargs)
        _tune_sqlite(engine)
        return engine
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("pool_timeout", 10)
    return create_async_engine(url, **kwargs)


class Database:
    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.is_sqlite = url.startswith("sqlite")
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
