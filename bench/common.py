"""Helpers shared by the bench scripts: processes on free ports, load, statistics."""

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINBOT_")}
    env.update(extra)
    return env


def start(command: list[str], cwd: Path, env: dict[str, str], url: str) -> subprocess.Popen[bytes]:
    log_path = cwd / f"bench-{free_port()}.log"
    with log_path.open("wb") as log:  # the child keeps its own descriptor
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{command} exited:\n{log_path.read_text()}")
        try:
            httpx.get(url, timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{command} did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def drive(
    clients: int, requests: int, one: Callable[[int], Awaitable[None]]
) -> tuple[float, list[float]]:
    """Run `requests` calls of `one` from `clients` concurrent workers.

    Returns (requests per second, latencies in seconds).
    """
    latencies: list[float] = []
    counter = iter(range(requests))

    async def worker() -> None:
        for n in counter:
            began = time.perf_counter()
            await one(n)
            latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return requests / (time.perf_counter() - began), latencies


def median(values: list[float]) -> float:
    return statistics.median(values)


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (Linux /proc)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def process_tree(pid: int) -> list[int]:
    """`pid` and its children (uvicorn's workers), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


class PeakRss:
    """The largest RSS of any process of a tree, sampled every 0.1 s while `measuring`."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        self._active = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while self._active.wait():
            for pid in process_tree(self.pid):
                with suppress(OSError):  # a process that just ended
                    self.peak = max(self.peak, rss_mb(pid))
            time.sleep(0.1)

    @contextmanager
    def measuring(self) -> Iterator[None]:
        self._active.set()
        try:
            yield
        finally:
            self._active.clear()


async def execute_sql(dsn: str, sql: str) -> None:
    """One statement on its own asyncpg connection (CREATE DATABASE, ANALYZE, ...)."""
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextmanager
def scratch_postgres(admin_dsn: str) -> Iterator[tuple[str, str]]:
    """A fresh, migrated PostgreSQL database beside `admin_dsn`'s, dropped afterwards:
    (its asyncpg dsn, its SQLAlchemy url)."""
    from migrations import upgrade

    name = f"finbot_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(execute_sql(admin_dsn, f'CREATE DATABASE "{name}"'))
    dsn = f"{admin_dsn.rsplit('/', 1)[0]}/{name}"
    try:
        url = "postgresql+asyncpg://" + dsn.split("://", 1)[1]
        upgrade(url)
        yield dsn, url
    finally:
        asyncio.run(execute_sql(admin_dsn, f'DROP DATABASE "{name}" WITH (FORCE)'))
