"""Slow senders against the admission gate (H6 of the 2026-12 security review).

K clients each send a POST's headers and then one byte of its body now and then,
never finishing, while another client polls /healthz and POSTs an expense, one at a
time. Prints median and max latency of each, and how many gave up (a 3 s client
timeout), for the gate as it was (a copy of it below) and as it is now. SQLite, one
`finbot`-shaped process (no scheduler, no bot) per run.
Usage: python bench/admission_hostile.py [--slow K] [--requests N]
"""

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import clean_env, free_port, median, start, stop
from migrations import upgrade

PASSWORD = "bench password"
GIVE_UP = 3.0


class OldFifoAdmission:
    """The gate before the fix, verbatim but for its ungated list: a turn taken before
    the body is read, held while it trickles, and waited for without bound."""

    UNGATED_PREFIXES = ("/api/documents", "/api/imports", "/api/export", "/api/auth")

    def __init__(self, app: Any, limit: int, **_: Any) -> None:
        self.app = app
        self.turns = asyncio.Semaphore(limit)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.UNGATED_PREFIXES):
            await self.app(scope, receive, send)
            return
        async with self.turns:
            await self.app(scope, receive, send)


def serve(gate: str, port: int) -> None:
    """In the server process: finbot's app with the old or the new gate."""
    import uvicorn

    import api.main

    if gate == "old":
        api.main.FifoAdmission = OldFifoAdmission  # type: ignore[misc,assignment]
    uvicorn.run("finbot.processes:create_app", factory=True, port=port, log_level="warning")


async def trickle(port: int, stop_: asyncio.Event) -> None:
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /api/expenses/ HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100000\r\n\r\n{"
    )
    try:
        while not stop_.is_set():
            await asyncio.sleep(1)
            writer.write(b" ")
            await writer.drain()
    except (ConnectionError, OSError):
        pass  # answered 408 and closed: the new gate's doing
    finally:
        writer.close()


async def timed(call: Any) -> float | None:
    began = time.perf_counter()
    try:
        await call
    except httpx.TimeoutException:
        return None
    return time.perf_counter() - began


def line(name: str, values: list[float | None]) -> str:
    done = [v for v in values if v is not None]
    if not done:
        return f"{name}: all {len(values)} gave up after {GIVE_UP:.0f} s"
    return (
        f"{name}: median {median(done) * 1000:.1f} ms, max {max(done) * 1000:.1f} ms, "
        f"gave up {len(values) - len(done)}/{len(values)}"
    )


async def measure(url: str, port: int, slow: int, requests: int) -> list[str]:
    async with httpx.AsyncClient(base_url=url, timeout=GIVE_UP) as http:
        await http.post(
            "/api/auth/signup/",
            json={"username": "bench", "email": "bench@example.org", "password": PASSWORD},
        )
        login = await http.post(
            "/api/auth/login/", json={"username": "bench", "password": PASSWORD}
        )
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        stop_ = asyncio.Event()
        tricklers = [asyncio.create_task(trickle(port, stop_)) for _ in range(slow)]
        await asyncio.sleep(1)  # they are all in
        health: list[float | None] = []
        expenses: list[float | None] = []
        for _ in range(requests):
            health.append(await timed(http.get("/healthz")))
            body = {"amount": 1, "category": "bench"}
            expenses.append(await timed(http.post("/api/expenses/", headers=headers, json=body)))
        stop_.set()
        await asyncio.gather(*tricklers)
    return [line("GET /healthz", health), line("POST /api/expenses/", expenses)]


def run(gate: str, slow: int, requests: int) -> list[str]:
    with tempfile.TemporaryDirectory() as scratch:
        database = f"sqlite+aiosqlite:///{scratch}/bench.db"
        upgrade(database)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = clean_env(
            FINBOT_DATABASE_URL=database,
            FINBOT_STORAGE_DIR=f"{scratch}/data",
            FINBOT_RUN_SCHEDULER="false",
            PYTHONPATH=str(Path(__file__).resolve().parent.parent),
        )
        command = [sys.executable, __file__, "--serve", gate, "--port", str(port)]
        server: subprocess.Popen[bytes] = start(command, Path(scratch), env, url)
        try:
            return asyncio.run(measure(url, port, slow, requests))
        finally:
            stop(server)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slow", type=int, default=12, help="slow senders (K)")
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--serve", choices=["old", "new"])
    parser.add_argument("--port", type=int)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    print(f"{args.slow} slow senders, {args.requests} of each request, one at a time")
    for gate in ("old", "new"):
        print(f"{gate} gate:")
        for text in run(gate, args.slow, args.requests):
            print(f"  {text}", flush=True)


if __name__ == "__main__":
    main()
