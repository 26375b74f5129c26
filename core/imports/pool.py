"""Worker processes for statement reading: CPU-heavy pure work, off the event loop and out
of the GIL of the process that serves requests, a few at a time, each within a time limit.

Each slot is one worker process, so a job that runs past its limit is stopped by killing
its own process only (a shared pool cannot tell which worker runs which job); the slot
starts a fresh process for its next job. Processes are started with `spawn`: the server
has threads (the SQLite checkpointer, the driver's), and a fork would copy their locks.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

T = TypeVar("T")

# A statement of the largest size allowed reads in a few seconds; past this it is hostile.
LIMIT_SECONDS = 60.0
# How long a job waits for a free slot before the caller is told to come back.
WAIT_SECONDS = 10.0
RETRY_AFTER_SECONDS = 10


def default_slots() -> int:
    """Half the cores (at least one): uploads can never pin every core of the server."""
    return max(1, (os.cpu_count() or 2) // 2)


class PoolBusy(Exception):
    """Every slot stayed busy for the whole wait."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("every worker is busy")
        self.retry_after = retry_after


class JobTimedOut(Exception):
    """The job ran past the limit; its process was killed."""

    def __init__(self, limit: float) -> None:
        super().__init__(f"took longer than {limit:g} s")
        self.limit = limit


class WorkerLost(Exception):
    """The job's process died under it (killed from outside: out of memory, say)."""


def _serve(connection: Connection) -> None:
    """A worker process: jobs in, (ok, value) out, until the other end closes."""
    while True:
        try:
            function, args = connection.recv()
        except EOFError:
            return
        try:
            answer: tuple[bool, Any] = (True, function(*args))
        except Exception as error:
            answer = (False, error)
        try:
            connection.send(answer)
        except Exception as error:  # an answer that does not pickle
            connection.send((False, RuntimeError(f"unpicklable answer: {error!r}")))


def _exchange(connection: Connection, job: tuple[Any, ...]) -> tuple[bool, Any]:
    # In a thread: a statement of megabytes goes through the pipe, and the answer comes
    # back when the job ends (or EOFError when its process is killed).
    connection.send(job)
    answer: tuple[bool, Any] = connection.recv()
    return answer


class _Slot:
    """One worker process, kept between jobs. A plain multiprocessing Process (not an
    executor) so that a job past its limit is stopped by killing that process, with
    documented API only; the next job starts a fresh one."""

    def __init__(self) -> None:
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None

    def _started(self) -> Connection:
        if self._connection is None or self._process is None or not self._process.is_alive():
            self.stop()
            context = multiprocessing.get_context("spawn")
            ours, theirs = context.Pipe()
            # daemon: never outlives the server (killed at its exit, not waited for).
            process = context.Process(target=_serve, args=(theirs,), daemon=True)
            process.start()
            theirs.close()
            self._process, self._connection = process, ours
        return self._connection

    async def run(self, function: Callable[..., T], args: tuple[Any, ...], limit: float) -> T:
        connection = self._started()
        deadline = asyncio.timeout(limit)
        try:
            async with deadline:
                ok, value = await asyncio.to_thread(_exchange, connection, (function, args))
        except TimeoutError:
            if not deadline.expired():
                raise  # the job's own TimeoutError
            self.stop()
            raise JobTimedOut(limit) from None
        except asyncio.CancelledError:
            self.stop()  # no one wants the answer: the slot is free again at once
            raise
        except (EOFError, OSError):
            self.stop()
            raise WorkerLost("the worker process died") from None
        if not ok:
            raise value
        return value

    def stop(self) -> None:
        """Kill the process now; a new one starts with the next job."""
        process, self._process = self._process, None
        connection, self._connection = self._connection, None
        if process is not None and process.is_alive():
            process.kill()
        if connection is not None:
            connection.close()
        if process is not None:
            # Reaped in a thread of its own: a killed process ends at once, and the
            # loop never waits for it.
            threading.Thread(target=process.join, daemon=True).start()


class ProcessSlots:
    """At most `slots` jobs at once, each in its own worker process, each within `limit`
    seconds of wall clock; a job that finds no free slot within `wait` seconds is refused
    (PoolBusy). Slots and their processes are made on first use; loop-independent, so one
    instance serves a process whatever event loop runs it."""

    def __init__(
        self,
        slots: int | None = None,
        *,
        limit: float = LIMIT_SECONDS,
        wait: float = WAIT_SECONDS,
        retry_after: int = RETRY_AFTER_SECONDS,
    ) -> None:
        self.limit = limit
        self.wait = wait
        self.retry_after = retry_after
        self._slots = [_Slot() for _ in range(slots or default_slots())]
        self._free: asyncio.Queue[_Slot] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _queue(self) -> asyncio.Queue[_Slot]:
        # An asyncio queue belongs to one loop; a new loop (tests, a restart) gets a fresh one.
        loop = asyncio.get_running_loop()
        if self._free is None or self._loop is not loop:
            self._loop, self._free = loop, asyncio.Queue()
            for slot in self._slots:
                self._free.put_nowait(slot)
        return self._free

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` in a worker process (both must pickle: a module-level function)."""
        free = self._queue()
        try:
            async with asyncio.timeout(self.wait):
                slot = await free.get()
        except TimeoutError:
            raise PoolBusy(self.retry_after) from None
        try:
            return await slot.run(function, args, self.limit)
        finally:
            free.put_nowait(slot)

    def shutdown(self) -> None:
        for slot in self._slots:
            slot.stop()


_shared: ProcessSlots | None = None


def shared_slots() -> ProcessSlots:
    """The process's statement readers, made at the first import."""
    global _shared
    if _shared is None:
        _shared = ProcessSlots()
    return _shared
