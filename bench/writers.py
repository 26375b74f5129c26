"""SQLite under many writers: `finbot serve --workers 2` on one SQLite file, 32
concurrent writers (each its own account) POSTing expenses. Prints requests/s and
p50/p99 per repeat's median, the failures (a "database is locked" would be a 5xx
or a timeout), and whether every write is stored (X-Total-Count summed over the
writers); the same load on `--workers 1` is the baseline in the same run.
Usage: python bench/writers.py [--writers 32] [--each 40] [--repeats 3]
"""

import argparse
import asyncio
import os
import sys
import tempfile
import uuid
from pathlib import Path

import aiohttp
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.api import finbot_headers
from bench.common import BIN, clean_env, drive, free_port, median, percentile, start, stop
from migrations import upgrade

P99_LIMIT_MS = 250


async def write_load(
    url: str, tokens: list[dict[str, str]], each: int
) -> tuple[float, list[float], int]:
    failures = 0
    connector = aiohttp.TCPConnector(limit=len(tokens))
    async with aiohttp.ClientSession(url, connector=connector) as http:

        async def one(n: int) -> None:
            nonlocal failures
            body = {"category": "food", "amount": "4.50", "date": "2026-11-01"}
            headers = tokens[n % len(tokens)]
            try:
                async with http.post("/api/expenses/", json=body, headers=headers) as answer:
                    await answer.read()
                    failures += answer.status != 201
            except aiohttp.ClientError:
                failures += 1

        rate, latencies = await drive(len(tokens), len(tokens) * each, one)
        return rate, latencies, failures


def stored(url: str, tokens: list[dict[str, str]]) -> int:
    return sum(
        int(httpx.get(f"{url}/api/expenses/?limit=1", headers=h).headers["X-Total-Count"])
        for h in tokens
    )


def run(workers: int, args: argparse.Namespace, workdir: Path) -> dict[str, float]:
    db = workdir / f"writers-{workers}-{uuid.uuid4().hex[:6]}.db"
    upgrade(f"sqlite+aiosqlite:///{db}")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start(
        [str(BIN / "finbot"), "serve", "--port", str(port), "--workers", str(workers),
         "--no-bot", "--no-scheduler"],
        workdir,
        clean_env(FINBOT_DATABASE_URL=f"sqlite+aiosqlite:///{db}", FINBOT_LOG_LEVEL="warning"),
        f"{url}/healthz",
    )  # fmt: skip
    try:
        tokens = [finbot_headers(url) for _ in range(args.writers)]
        asyncio.run(write_load(url, tokens, 2))  # warm-up: connections, caches
        rates, p50s, p99s, failures = [], [], [], 0
        for _ in range(args.repeats):
            rate, latencies, failed = asyncio.run(write_load(url, tokens, args.each))
            rates.append(rate)
            p50s.append(percentile(latencies, 0.5) * 1000)
            p99s.append(percentile(latencies, 0.99) * 1000)
            failures += failed
        expected = args.writers * (2 + args.repeats * args.each) - failures
        lost = expected - stored(url, tokens)
    finally:
        stop(server)
    figures = {"rate": median(rates), "p50": median(p50s), "p99": median(p99s)}
    print(
        f"--workers {workers}: {figures['rate']:6.0f} writes/s   p50 {figures['p50']:6.1f} ms   "
        f"p99 {figures['p99']:6.1f} ms   failed {failures}   lost {lost}"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writers", type=int, default=32)
    parser.add_argument("--each", type=int, default=40, help="writes per writer per repeat")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(os.environ.get("BENCH_WORKDIR", tmp))
        one = run(1, args, workdir)
        two = run(2, args, workdir)
    print(
        f"ratio   writes/s {two['rate'] / one['rate']:.2f}, p99 {two['p99'] / one['p99']:.2f} "
        f"(--workers 2 / --workers 1); p99 {two['p99']:.0f} ms against the {P99_LIMIT_MS} ms limit"
    )


if __name__ == "__main__":
    main()
