"""Worker processes for statement reading: CPU-heavy pure work, off the event loop and out
of the GIL of the process that serves requests, a few at a time, each within a time limit.

Each slot is a one-process executor, so a job that runs past its limit is stopped by killing
its own process only (a shared pool cannot tell which worker runs which job); the slot
starts a fresh process for its next job. Processes are started with `spawn`: the server
has threads (the SQLite checkpointer, the driver's), and a fork would copy their locks.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
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


class _Slot:
    def __init__(self) -> None:
        self._executor: ProcessPoolExecutor | None = None

    def _started(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn")
            )
        return self._executor

    async def run(self, function: Callable[..., T], args: tuple[Any, ...], limit: float) -> T:
        future: Future[T] = self._started().submit(function, *args)
        deadline = asyncio.timeout(limit)
        try:
            async with deadline:
                return await asyncio.wrap_future(future)
        except TimeoutError:
            if not deadline.expired():
                raise  # the job's own TimeoutError
            self.stop()
            raise JobTimedOut(limit) from None
        except asyncio.CancelledError:
            self.stop()  # no one wants the answer: the slot is free again at once
            raise
        except BrokenProcessPool:
            self.stop()
            raise WorkerLost("the worker process died") from None

    def stop(self) -> None:
        """Kill the process now; a new one starts with the next job."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        processes = dict(getattr(executor, "_processes", None) or {})
        for process in processes.values():
            process.kill()
        # wait=False: the executor's own thread reaps the killed process, not the loop.
        executor.shutdown(wait=False, cancel_futures=True)


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
