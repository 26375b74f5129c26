"""Engine, sessions and the one transaction per unit of work."""

import asyncio
import collections
import fcntl
import logging
import os
import re
import sqlite3
import threading
from collections import namedtuple
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Any, NoReturn, cast

from sqlalchemy import event
from sqlalchemy.dialects.postgresql.asyncpg import (
    AsyncAdapt_asyncpg_connection,
    AsyncAdapt_asyncpg_cursor,
)
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.sql import Executable
from sqlalchemy.util import EMPTY_DICT, await_only

log = logging.getLogger("finbot.db")
CommitHook = Callable[[AsyncSession], Awaitable[None]]

# Keys in a pooled SQLite connection's info dict.
_HOLDS_WRITER = "finbot_holds_writer"
_IN_WRITE = "finbot_in_write_transaction"
_READ_PREFIXES = ("SELECT", "PRAGMA", "WITH")
BUSY_TIMEOUT_MS = 30_000
_QUICK_READ = "finbot_quick_read"
# Execution options of a read that an index answers in microseconds (the token lookup,
# a page of a user's rows): on SQLite it runs on the loop's thread, as a one-row insert
# does (see _inline_write), saving the trip to the driver's thread and back, which
# costs more than the read. Big or unbounded reads must not carry it: they would stop
# the loop while they run.
QUICK_READ = {_QUICK_READ: True}


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


class WalCheckpointer:
    """Copies SQLite's write-ahead log into the database from a thread of its own.

    SQLite checkpoints inside the COMMIT that takes the log past 1,000 pages, and
    finbot's commits run on the event loop's thread (see _OneHopConnection): such a
    commit would copy megabytes and fsync the file while every request of the
    process waits, which made the SQLite tail. So finbot's connections never
    checkpoint and this thread does, PASSIVE: it neither waits for nor blocks
    readers and writers. Started at a process's first write, stopped at dispose.
    """

    INTERVAL_SECONDS = 0.25

    def __init__(self, database_path: str) -> None:
        self.path = database_path
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def start(self) -> None:
        # Per process: a thread does not survive a fork, so a forked child starts its own.
        if self._pid == os.getpid():
            return
        self._pid = os.getpid()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            connection = sqlite3.connect(self.path, check_same_thread=False)
        except sqlite3.Error:
            log.warning("no checkpoint thread for %s", self.path, exc_info=True)
            return
        try:
            connection.execute("PRAGMA busy_timeout=0")  # another process checkpointing: next turn
            while True:
                stopping = self._stop.wait(self.INTERVAL_SECONDS)
                with suppress(sqlite3.Error):  # busy, or the file is gone: the next turn tries
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                if stopping:
                    return
        finally:
            connection.close()

    def stop(self) -> None:
        if self._thread is not None and self._pid == os.getpid():
            self._stop.set()
            self._thread.join(timeout=5)
        self._thread, self._pid = None, 0


def _sqlite_file(url: str) -> str | None:
    """The database file of a SQLite URL, or None for an in-memory database."""
    from sqlalchemy.engine import make_url

    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return os.path.abspath(path)


def _run_whole(
    connection: Any, operation: str, parameters: Any, begin_first: bool
) -> tuple[Any, list[Any], int, int | None]:
    """A statement whole (BEGIN first, if asked): in the driver's thread, or on the
    loop's for a statement quicker than the trip there."""
    if begin_first:
        connection.execute("BEGIN IMMEDIATE")
    cursor = connection.execute(operation, () if parameters is None else parameters)
    try:
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class _OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """aiosqlite's adapter makes four trips to the driver's thread per statement
    (open cursor, execute, fetch, close), each waiting for a turn of a busy event
    loop; this one makes one, and carries our BEGIN IMMEDIATE along with it."""

    __slots__ = ("_begin_first", "_description", "_lastrowid", "_quick_read", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]  # none is opened until executemany
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._begin_first = False
        self._quick_read = False
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description if self._cursor is None else super().description

    @property
    def rowcount(self) -> int:
        return self._rowcount if self._cursor is None else super().rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid if self._cursor is None else super().lastrowid

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        begin_first, self._begin_first = self._begin_first, False
        driver = self._connection
        async with self._adapt_connection._execute_mutex:
            if self._quick_read or _inline_write(driver._conn, operation, begin_first):
                result = _run_whole(driver._conn, operation, parameters, False)
            else:
                result = await driver._execute(
                    _run_whole, driver._conn, operation, parameters, begin_first
                )
        self._description, rows, self._rowcount, self._lastrowid = result
        self._rows = collections.deque(rows)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        if self._begin_first:  # rare (bulk inserts): the plain way, one trip more
            self._begin_first = False
            self.execute("BEGIN IMMEDIATE")
        if self._cursor is None:
            self._cursor = self._aenter_cursor(self._make_new_cursor(self._connection))
        return super().executemany(operation, seq_of_parameters)

    async def _async_soft_close(self) -> None:
        if self._cursor is not None:
            await super()._async_soft_close()

    def close(self) -> None:
        self._rows.clear()
        if self._cursor is not None:
            super().close()


def _single_row_insert(operation: str, known: dict[str, bool] = {}) -> bool:  # noqa: B006 (a cache)
    inline = known.get(operation)
    if inline is None:
        upper = operation.lstrip()[:4096].upper()
        inline = (
            upper.startswith("INSERT")
            and " VALUES " in upper
            and " SELECT " not in (upper.split(" VALUES ", 1)[0])
        )
        if len(known) < 4096:
            known[operation] = inline
    return inline


def _inline_write(connection: Any, operation: str, begin_first: bool) -> bool:
    """Whether to run this statement on the event loop's own thread rather than the
    driver's: a one-row INSERT inside the write transaction (or opening it).

    The writer lock is held from the first write to the commit, and every trip to
    the driver's thread waits for a turn of the event loop, which under load means
    waiting behind every other request's work: the lock is then held for several
    turns, and writers queue behind that (a convoy). A one-row INSERT, like the
    COMMIT (see _OneHopConnection), takes microseconds in WAL mode, less than the
    trip itself. Anything that may touch many rows still goes to the thread.
    """
    if not _single_row_insert(operation):
        return False
    if not begin_first:
        return bool(connection.in_transaction)
    # Both writer locks are ours, so BEGIN IMMEDIATE gets SQLite's lock at once,
    # unless a writer outside finbot (a migration) holds it: then not inline, where
    # the busy handler may wait without stopping the loop.
    connection.execute("PRAGMA busy_timeout=0")
    try:
        connection.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return False
    finally:
        connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return True


class _OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = _OneHopCursor

    # The end of a write transaction runs inline too (see _inline_write): the lock
    # is given back without waiting for a turn of the loop. In WAL mode with
    # synchronous=NORMAL a commit appends to the log without an fsync.
    def commit(self) -> None:
        if self._connection._connection:
            try:
                self._connection._conn.commit()
            except Exception as error:
                self._handle_exception(error)

    def rollback(self) -> None:
        if self._connection._connection:
            try:
                self._connection._conn.rollback()
            except Exception as error:
                self._handle_exception(error)


def _tune_sqlite(
    engine: AsyncEngine, file_lock: WriterFileLock | None, checkpointer: WalCheckpointer | None
) -> None:
    """WAL, foreign keys, one writer at a time without SQLite's polling, and as
    few trips to the driver's thread as a statement allows.

    SQLite allows one writer. A deferred transaction that reads and then writes
    fails at once ("database is locked") when another writer committed in
    between, and writers that collide wait in a busy handler that sleeps and
    polls. So: statements run in autocommit until the first write; that write
    first takes an in-process asyncio lock, then the cross-process file lock,
    then BEGIN IMMEDIATE (sent with the write itself); both locks are released
    when the connection goes back to the pool. Reads never wait; writers of
    every process queue and are woken at once; busy_timeout is left only for
    writers that bypass the file lock (migrations).

    A unit of work that only read has no transaction open on the driver, so its
    COMMIT and the pool's ROLLBACK at return are skipped: each would be a trip
    to the driver's thread doing nothing.
    """
    writer = asyncio.Lock()

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.__class__ = _OneHopConnection  # same layout, one-trip cursors
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if checkpointer is not None:
            cursor.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer's thread does it
        cursor.close()

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _begin_write(
        conn: Connection, cursor: Any, statement: str, _parameters: Any, context: Any, *_: Any
    ) -> None:
        info = conn.info
        if statement.lstrip()[:6].upper().startswith(_READ_PREFIXES):
            quick = context is not None and context.execution_options.get(_QUICK_READ)
            if quick and isinstance(cursor, _OneHopCursor):
                cursor._quick_read = True
            return
        if info.get(_IN_WRITE):
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
            if checkpointer is not None:
                checkpointer.start()
        if isinstance(cursor, _OneHopCursor):
            cursor._begin_first = True
        else:
            cursor.execute("BEGIN IMMEDIATE")
        info[_IN_WRITE] = True

    # The dialect is this engine's own: wrapping its commit and rollback touches no other.
    dialect = engine.sync_engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def give_back(record_info: dict[str, Any] | None) -> None:
        if record_info is not None and record_info.pop(_HOLDS_WRITER, False):
            if file_lock is not None:
                file_lock.release()
            writer.release()

    def wrote(dbapi_connection: Any) -> bool:
        """Whether a transaction is open, forgetting it; unknown (the dialect's own
        first connection) counts as open."""
        try:
            info = dbapi_connection.info
        except NotImplementedError:
            return True
        return bool(info.pop(_IN_WRITE, False))

    # The locks go back as soon as the transaction ends, not when the connection
    # is returned: the next writer (maybe in another process) starts that much sooner.
    def do_commit(dbapi_connection: Any) -> None:
        if wrote(dbapi_connection):
            try:
                commit(dbapi_connection)
            except BaseException:
                dbapi_connection.info[_IN_WRITE] = True  # still open: the rollback ends it
                raise
            give_back(getattr(dbapi_connection, "record_info", None))

    def do_rollback(dbapi_connection: Any) -> None:
        if wrote(dbapi_connection):
            try:
                rollback(dbapi_connection)
            finally:
                give_back(getattr(dbapi_connection, "record_info", None))

    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]

    @event.listens_for(engine.sync_engine.pool, "checkin")
    def _release_writer(_dbapi_connection: Any, record: Any) -> None:
        give_back(record.record_info)  # after a connection error, say


# A statement that writes, locks or takes a transaction-scoped lock needs the
# transaction open before it; anything else may run before BEGIN.
_NEEDS_TRANSACTION = re.compile(
    r"\b(INSERT|UPDATE|DELETE|MERGE|TRUNCATE|NEXTVAL|SETVAL|SET_CONFIG|PG_ADVISORY\w*|"
    r"FOR\s+(NO\s+KEY\s+UPDATE|KEY\s+SHARE|UPDATE|SHARE))\b"
)


def _plain_read(statement: str, known: dict[str, bool] = {}) -> bool:  # noqa: B006 (a cache)
    read = known.get(statement)
    if read is None:
        upper = statement.lstrip().upper()
        read = upper.startswith(("SELECT", "WITH")) and not _NEEDS_TRANSACTION.search(upper)
        if len(known) < 4096:
            known[statement] = read
    return read


class _LazyBeginCursor(AsyncAdapt_asyncpg_cursor):
    """asyncpg's adapter opens a transaction (a BEGIN round trip) before the first
    statement; this one runs plain reads before it, so a unit of work that only
    reads makes no BEGIN and no COMMIT at all, and one that writes opens its
    transaction at its first write. Under READ COMMITTED every statement takes its
    own snapshot anyway, so reads before the first write see what they would have
    seen inside it; statements after it run inside it and see its writes."""

    __slots__ = ()

    async def _prepare_and_execute(self, operation: Any, parameters: Any) -> None:
        adapter = self._adapt_connection
        if adapter._transaction is not None or not _plain_read(operation):
            await super()._prepare_and_execute(operation, parameters)
            return
        # The adapter skips BEGIN in autocommit; one statement's worth of it.
        level, adapter.isolation_level = adapter.isolation_level, "autocommit"
        try:
            await super()._prepare_and_execute(operation, parameters)
        finally:
            adapter.isolation_level = level


class _LazyBeginConnection(AsyncAdapt_asyncpg_connection):
    __slots__ = ()
    _cursor_cls = _LazyBeginCursor


def _tune_postgres(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.__class__ = _LazyBeginConnection  # same layout, lazy BEGIN


_GIVEN = object()  # a parameter whose value the call gives


class _DirectPlan:
    """A statement compiled once for the driver (asyncpg; sqlite3 for quick reads): its
    SQL, its parameters in order with their bind processors, and its columns' result
    processors (the types' own, chosen as SQLAlchemy chooses them: by the type the
    server says it sends)."""

    __slots__ = ("arguments", "columns", "dialect", "plain_read", "process", "row", "sql")

    def __init__(self, statement: Any, row: Any, dialect: Dialect) -> None:
        compiled: Any = statement.compile(dialect=dialect)
        if compiled.post_compile_params or compiled.literal_execute_params:
            raise ValueError("HotStatement takes plain bound parameters only")
        self.sql = str(compiled)
        self.plain_read = _plain_read(self.sql)
        processors = compiled._bind_processors
        # (name, processor, the statement's own value for a literal, or _GIVEN)
        self.arguments = [
            (
                name,
                processors.get(name),
                _GIVEN if compiled.binds[name].required else compiled.binds[name].effective_value,
            )
            for name in compiled.positiontup or ()
        ]
        self.columns = [column.type for column in compiled._result_columns]
        self.dialect = dialect
        self.process: list[Any] | None = None
        self.row = row

    def bind(self, params: Mapping[str, Any]) -> list[Any]:
        values = []
        for name, process, own in self.arguments:
            value = params[name] if own is _GIVEN else own
            values.append(value if process is None else process(value))
        return values

    def rows(self, records: Sequence[Any], sent_types: Sequence[Any]) -> list[Any]:
        """Rows of the driver's records; `sent_types`: what the server says each column
        is (asyncpg's type oids; SQLite says nothing: None each)."""
        if self.process is None:
            self.process = [
                kind._cached_result_processor(self.dialect, sent)
                for kind, sent in zip(self.columns, sent_types, strict=True)
            ]
        make = self.row._make
        if not any(self.process):
            return [make(record) for record in records]
        pairs = self.process
        return [
            make([v if p is None else p(v) for p, v in zip(pairs, record, strict=True)])
            for record in records
        ]


_HELD = "finbot.held_connection"  # session.info key


async def _held_connection(session: AsyncSession) -> tuple[AsyncConnection, Any]:
    """The session's connection and its driver adapter. Asked of the session once per
    transaction: each ask is a trip through a greenlet (a request's second statement
    paid as much for it as for its own binding)."""
    held = session.info.get(_HELD)
    if held is not None and held[0] is session.sync_session.get_transaction():
        return held[1], held[2]
    connection = await session.connection()
    adapter = cast(Connection, connection.sync_connection).connection.dbapi_connection
    session.info[_HELD] = (session.sync_session.get_transaction(), connection, adapter)
    return connection, adapter


class HotStatement:
    """A statement every request or chat message runs, its rows as named tuples.

    On PostgreSQL it goes straight to asyncpg, inside the session's transaction (the
    adapter's own prepared statements, its lazy BEGIN, its errors turned into
    SQLAlchemy's): SQLAlchemy's execution and result layers cost as much CPU as the
    round trip itself (measured: a REST request 14 % less CPU, a chat message 20 %).
    On SQLite a QUICK_READ statement goes straight to sqlite3 on the loop's thread,
    where _OneHopCursor would have run it anyway; anything else, and other drivers,
    go through the session's connection as usual. Plain bound parameters only: a
    statement SQLAlchemy must rewrite per call (an IN list) is refused when its plan
    is made.
    """

    __slots__ = ("_plans", "quick_read", "row", "statement")

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        keys = statement.selected_columns.keys() if hasattr(statement, "selected_columns") else ()
        if not keys:  # an INSERT's RETURNING
            keys = [column.key for column in statement._returning]  # type: ignore[attr-defined]
        self.row: Any = namedtuple("Row", keys)  # type: ignore[misc]
        self.quick_read = bool(statement.get_execution_options().get(_QUICK_READ))
        self._plans: dict[int, _DirectPlan] = {}

    async def rows(self, session: AsyncSession, params: Mapping[str, Any]) -> list[Any]:
        connection, adapter = await _held_connection(session)
        if isinstance(adapter, _LazyBeginConnection):
            plan = self.plan(connection.dialect)
            arguments = plan.bind(params)
            async with adapter._execute_mutex:
                try:
                    if adapter._transaction is None and not plan.plain_read:
                        await adapter._start_transaction()
                    prepared, attributes = await adapter._prepare(plan.sql, 0)
                    records = await prepared.fetch(*arguments)
                except Exception as error:
                    await _raise_as_sqlalchemy(connection, adapter, error, plan.sql, arguments)
            return plan.rows(records, [attribute.type.oid for attribute in attributes])
        if self.quick_read and isinstance(adapter, _OneHopConnection):
            plan = self.plan(connection.dialect)
            arguments = plan.bind(params)
            async with adapter._execute_mutex:  # not beside a trip to the driver's thread
                try:
                    description, records, _, _ = _run_whole(
                        adapter._connection._conn, plan.sql, arguments, begin_first=False
                    )
                except Exception as error:
                    await _raise_as_sqlalchemy(connection, adapter, error, plan.sql, arguments)
            return plan.rows(records, [None] * len(description))
        result = await connection.execute(self.statement, dict(params))
        return [self.row._make(row) for row in result]

    def plan(self, dialect: Dialect) -> _DirectPlan:
        """The statement compiled for the driver under `dialect`, made at its first use."""
        plan = self._plans.get(id(dialect))
        if plan is None:
            plan = self._plans[id(dialect)] = _DirectPlan(self.statement, self.row, dialect)
        return plan

    async def one_or_none(self, session: AsyncSession, params: Mapping[str, Any]) -> Any:
        found = await self.rows(session, params)
        return found[0] if found else None


async def _raise_as_sqlalchemy(
    connection: AsyncConnection, adapter: Any, error: Exception, sql: str, arguments: list[Any]
) -> NoReturn:
    """The error SQLAlchemy would have raised (IntegrityError, ...), with its handling:
    a lost connection is invalidated, not given back to the pool."""
    try:
        adapter._handle_exception(error)  # the driver's error as DB-API's
    except Exception as dbapi_error:
        translated = dbapi_error

        def wrapped(sync: Connection) -> None:
            sync._handle_dbapi_exception(translated, sql, tuple(arguments), None, None)

        await connection.run_sync(wrapped)
    raise error  # not reached: both of the above raise


def make_engine(
    url: str,
    file_lock: WriterFileLock | None = None,
    checkpointer: WalCheckpointer | None = None,
    **kwargs: Any,
) -> AsyncEngine:
    # A fixed pool and no overflow: overflow connections are closed as soon as
    # they are returned, so a busy API would open (and TLS-negotiate) a new
    # connection per request. Requests wait for a pooled one instead.
    kwargs.setdefault("max_overflow", 0)
    if url.startswith("sqlite"):
        kwargs.setdefault("pool_size", 8)
        # Commits and one-row inserts run on the loop's thread (see _inline_write),
        # one at a time per connection, never beside the driver's own thread.
        kwargs.setdefault("connect_args", {}).setdefault("check_same_thread", False)
        engine = create_async_engine(url, **kwargs)
        _tune_sqlite(engine, file_lock, checkpointer)
        return engine
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("pool_timeout", 10)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.driver == "asyncpg":
        _tune_postgres(engine)
    return engine


class Database:
    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        sqlite_file = _sqlite_file(url) if self.is_sqlite else None
        self.writer_lock = WriterFileLock(sqlite_file) if sqlite_file else None
        self.checkpointer = WalCheckpointer(sqlite_file) if sqlite_file else None
        self.engine = make_engine(url, self.writer_lock, self.checkpointer, **engine_kwargs)
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
        session = self.sessionmaker()
        try:
            yield session
            # A block that committed its own work (a chat reply says "saved" only
            # once it is) and touched nothing since has nothing left to commit.
            if session.in_transaction():
                await session.commit()
        except BaseException as error:
            try:
                await session.rollback()
            finally:
                session.info.clear()  # nothing made in there may leak out
                # AsyncSession's own exit: its close runs to the end even if this
                # task is cancelled meanwhile.
                await session.__aexit__(type(error), error, error.__traceback__)
            raise
        # Committed, so the connection is back in the pool and closing says nothing to
        # the database: closed here, without the task AsyncSession's exit starts to
        # guard a close against cancellation (a task and two turns of the loop).
        await session.close()
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
        if self.checkpointer is not None:
            await asyncio.to_thread(self.checkpointer.stop)
        if self.writer_lock is not None:
            self.writer_lock.close()
