"""Throughput of `finbot serve` against a bare Starlette app doing the same SQL.

50 concurrent clients, a mix of POST /api/expenses/ and GET /api/expenses/ (one
list for every two creates), on SQLite and on PostgreSQL. Prints requests/s and
p50/p99 latency for both, and finbot's throughput as a ratio of the bare app's
(the median of each round's ratio; a round runs each app once, back to back).
Usage: python bench/api.py [--requests N] [--repeats R] [--postgres URL] [--skip-sqlite]
"""

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import aiohttp
import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    BIN,
    PeakRss,
    clean_env,
    drive,
    execute_sql,
    free_port,
    median,
    percentile,
    process_tree,
    rss_mb,
    start,
    stop,
)
from migrations import upgrade

CLIENTS = 50


async def load(
    url: str, headers: dict[str, str], requests: int, prefix: str = "/api"
) -> tuple[float, list[float]]:
    # aiohttp as the load client: httpx itself saturates a core before the servers do.
    connector = aiohttp.TCPConnector(limit=CLIENTS)
    async with aiohttp.ClientSession(url, headers=headers, connector=connector) as http:

        async def one(n: int) -> None:
            if n % 3 == 2:
                async with http.get(f"{prefix}/expenses/?limit=20") as answer:
                    assert answer.status == 200, await answer.text()
                    await answer.read()
            else:
                body = {"category": "bench", "amount": "12.34", "date": "2026-11-01"}
                async with http.post(f"{prefix}/expenses/", json=body) as answer:
                    assert answer.status == 201, await answer.text()
                    await answer.read()

        await drive(CLIENTS, 100, one)  # warm-up: connections, caches
        return await drive(CLIENTS, requests, one)


def finbot_headers(url: str) -> dict[str, str]:
    name = f"bench{uuid.uuid4().hex[:8]}"
    password = "bench password"
    httpx.post(
        f"{url}/api/auth/signup/",
        json={"username": name, "email": f"{name}@example.org", "password": password},
    ).raise_for_status()
    token = httpx.post(
        f"{url}/api/auth/login/", json={"username": name, "password": password}
    ).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def run_backend(
    label: str, finbot_url: str, bare_url: str, workdir: Path, args: argparse.Namespace
) -> None:
    upgrade(finbot_url)
    port = free_port()
    finbot = start(
        [str(BIN / "finbot"), "serve", "--port", str(port)],
        workdir,
        clean_env(FINBOT_DATABASE_URL=finbot_url, FINBOT_LOG_LEVEL="warning"),
        f"http://127.0.0.1:{port}/healthz",
    )
    try:
        time.sleep(1)  # settled after start-up
        idle_rss = max(rss_mb(pid) for pid in process_tree(finbot.pid))
        headers = finbot_headers(f"http://127.0.0.1:{port}")
        user_id = httpx.get(f"http://127.0.0.1:{port}/api/auth/me/", headers=headers).json()["id"]
        bare_port = free_port()
        bare = start(
            [
                str(BIN / "uvicorn"),
                "bench.bare_app:app",
                "--port",
                str(bare_port),
                "--log-level",
                "warning",
            ],
            workdir,
            clean_env(
                BENCH_BARE_URL=bare_url,
                BENCH_BARE_USER_ID=str(user_id),
                PYTHONPATH=str(Path(__file__).resolve().parent.parent),
            ),
            f"http://127.0.0.1:{bare_port}/plain/expenses/",
        )
        try:
            bare_url_base = f"http://127.0.0.1:{bare_port}"
            runs: dict[str, Callable[[], tuple[float, list[float]]]] = {
                "finbot": lambda: asyncio.run(
                    load(f"http://127.0.0.1:{port}", headers, args.requests)
                ),
                # finbot's own statements, round trips and answer fields (bench/bare_app.py).
                "bare": lambda: asyncio.run(load(bare_url_base, headers, args.requests)),
                # A plain INSERT or SELECT of a few columns, autocommit: the floor.
                "bare-sql": lambda: asyncio.run(
                    load(bare_url_base, {}, args.requests, prefix="/plain")
                ),
            }
            results: dict[str, list[tuple[float, list[float]]]] = {name: [] for name in runs}
            loaded = PeakRss(finbot.pid)
            # Both apps' first statements, before any round: the table then holds rows
            # for the first analyse to see.
            asyncio.run(load(f"http://127.0.0.1:{port}", headers, 0))
            asyncio.run(load(bare_url_base, headers, 0))
            for _ in range(args.repeats):
                if bare_url.startswith("postgresql"):
                    # What autovacuum's analyse would have done as the table grew (this
                    # machine's server runs with it off). Without it each connection keeps
                    # the plan it made at its first request: on the empty table, a sort of
                    # all the user's rows; the bare app, started a round later, has a better
                    # one. Analysed, every connection replans on the same statistics.
                    asyncio.run(execute_sql(bare_url, "ANALYZE"))
                # Interleaved, so that drift (the table growing) hits all alike.
                for name, run in runs.items():
                    if name == "finbot":
                        with loaded.measuring():
                            results[name].append(run())
                    else:
                        results[name].append(run())
        finally:
            stop(bare)
    finally:
        stop(finbot)

    for name, measured in results.items():
        rate = median([r for r, _ in measured])
        p50 = median([percentile(lat, 0.50) for _, lat in measured]) * 1000
        p99 = median([percentile(lat, 0.99) for _, lat in measured]) * 1000
        print(f"{label:10} {name:8} {rate:8.0f} req/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms")
        print(f"{label:10} {name:8} rounds: " + " ".join(f"{r:.0f}" for r, _ in measured))
    for baseline in ("bare", "bare-sql"):
        # Paired: each round's ratio of runs made back to back, then their median. The
        # machine's speed drifts by a quarter within a minute; a round shares its drift.
        rounds = [
            ours[0] / theirs[0]
            for ours, theirs in zip(results["finbot"], results[baseline], strict=True)
        ]
        each = " ".join(f"{ratio:.2f}" for ratio in rounds)
        print(
            f"{label:10} ratio    {median(rounds):.2f} (finbot / {baseline}, throughput; "
            f"median of rounds {each})"
        )
    print(
        f"{label:10} finbot serve RSS per process: idle {idle_rss:.0f} MB, "
        f"under load {loaded.peak:.0f} MB (limits 150 / 200)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--skip-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(os.environ.get("BENCH_WORKDIR", tmp))
        db = workdir / "bench.db"
        if not args.skip_sqlite:
            run_backend("sqlite", f"sqlite+aiosqlite:///{db}", f"sqlite:///{db}", workdir, args)

        name = f"finbot_bench_{uuid.uuid4().hex[:8]}"

        try:
            asyncio.run(execute_sql(args.postgres, f'CREATE DATABASE "{name}"'))
        except (OSError, asyncpg.PostgresError) as error:
            print(f"postgresql skipped: {error}")
            return
        base = args.postgres.rsplit("/", 1)[0]
        try:
            run_backend(
                "postgresql",
                f"postgresql+asyncpg://{base.split('://', 1)[1]}/{name}",
                f"{base}/{name}",
                workdir,
                args,
            )
        finally:
            asyncio.run(execute_sql(args.postgres, f'DROP DATABASE "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
