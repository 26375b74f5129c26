"""Notification fan-out: 1,000 notifications made through process A, received on
50 WebSockets held by process B, over Redis pub/sub.

Each notification is a goal reached (created with saved >= target) by one of 50
users; each user has one socket on B. Prints delivery latency (from the POST
being sent to the push arriving) p50/p99 and notifications/s, median of repeats.
Usage: python bench/notify.py [--count N] [--repeats R] [--redis URL]
"""

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BIN, clean_env, free_port, median, percentile, start, stop
from migrations import upgrade

USERS = 50
PASSWORD = "bench password"


async def tokens(url: str, run: int) -> list[str]:
    async with aiohttp.ClientSession(url) as http:

        async def one(n: int) -> str:
            name = f"r{run}u{n}"
            body = {"username": name, "email": f"{name}@example.org", "password": PASSWORD}
            # Each its own address (finbot serve trusts a local proxy's X-Forwarded-For):
            # sign-ups are limited per address, and these are fifty people.
            address = {"X-Forwarded-For": f"10.{run % 250}.{n // 250}.{n % 250 + 1}"}
            async with http.post("/api/auth/signup/", json=body, headers=address) as answer:
                assert answer.status == 201, await answer.text()
            body = {"username": name, "password": PASSWORD}
            async with http.post("/api/auth/login/", json=body) as answer:
                return str((await answer.json())["token"])

        return await asyncio.gather(*(one(n) for n in range(USERS)))


async def measure(a_url: str, b_url: str, count: int, run: int) -> tuple[float, list[float]]:
    users = await tokens(a_url, run)
    sent: dict[str, float] = {}
    received: dict[str, float] = {}
    done = asyncio.Event()
    ws_base = b_url.replace("http://", "ws://") + "/api/notifications/ws?token="

    async def listen(token: str) -> None:
        async with connect(ws_base + token) as socket:
            async for raw in socket:
                tag = json.loads(raw)["message"].split(": ")[1]
                received[tag] = time.perf_counter()
                if len(received) == count:
                    done.set()

    listeners = [asyncio.create_task(listen(token)) for token in users]
    await asyncio.sleep(1)  # every socket registered on B
    async with aiohttp.ClientSession(a_url, connector=aiohttp.TCPConnector(limit=USERS)) as http:
        in_flight = asyncio.Semaphore(USERS)  # latency counts from the request leaving

        async def make(n: int) -> None:
            tag = f"n{n}"
            body = {
                "target_amount": 1,
                "saved_amount": 1,
                "deadline": "2030-01-01",
                "description": tag,
            }
            headers = {"Authorization": f"Bearer {users[n % USERS]}"}
            async with in_flight:
                sent[tag] = time.perf_counter()
                async with http.post("/api/goals/", json=body, headers=headers) as answer:
                    assert answer.status == 201, await answer.text()

        began = time.perf_counter()
        await asyncio.gather(*(make(n) for n in range(count)))
        await asyncio.wait_for(done.wait(), timeout=120)
    elapsed = max(received.values()) - began
    for task in listeners:
        task.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)
    return count / elapsed, [received[tag] - sent[tag] for tag in sent]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(os.environ.get("BENCH_WORKDIR", tmp))
        database = f"sqlite+aiosqlite:///{workdir}/notify.db"
        upgrade(database)
        env = clean_env(
            FINBOT_DATABASE_URL=database, FINBOT_REDIS_URL=args.redis, FINBOT_LOG_LEVEL="warning"
        )
        servers = []
        for _ in range(2):
            port = free_port()
            command = [str(BIN / "finbot"), "serve", "--port", str(port)]
            servers.append((start(command, workdir, env, f"http://127.0.0.1:{port}/healthz"), port))
        try:
            a_url, b_url = (f"http://127.0.0.1:{port}" for _, port in servers)
            runs = [
                asyncio.run(measure(a_url, b_url, args.count, run)) for run in range(args.repeats)
            ]
        finally:
            for process, _ in servers:
                stop(process)
    rate = median([r for r, _ in runs])
    p50 = median([percentile(lat, 0.50) for _, lat in runs]) * 1000
    p99 = median([percentile(lat, 0.99) for _, lat in runs]) * 1000
    print(f"{args.count} notifications A -> Redis -> B, {USERS} sockets, median of {args.repeats}:")
    print(f"  {rate:.0f} notifications/s   latency p50 {p50:.1f} ms   p99 {p99:.1f} ms")


if __name__ == "__main__":
    main()
