"""Money in many currencies: the base-currency change and the REST hot path.

1. A user with N expenses and N/10 incomes (mixed USD/GBP/JPY/CHF/EUR on random days
   since 2010) changes base currency EUR -> USD -> EUR (core.currencies.service.
   rebase_user: one UPDATE per table, in one transaction). Seconds, median of repeats.
2. `finbot serve` under the REST bench's mix (POST /api/expenses/ twice for each
   GET list): every entry in the base currency, then a currency (USD) on half of
   them. Requests/s and the ratio (the issue allows at most 10 % slower).
On SQLite and, given --postgres URL, on PostgreSQL.
Usage: python bench/currency.py [--entries N] [--requests N] [--repeats R] [--postgres URL]
"""

import argparse
import asyncio
import random
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert
from sqlalchemy.engine import make_url

from bench.api import CLIENTS, finbot_headers
from bench.common import BIN, clean_env, drive, free_port, median, start, stop
from core.currencies import service as currencies
from core.db import Database
from core.models import Expense, Income, User
from migrations import upgrade

CURRENCIES = ["USD", "GBP", "JPY", "CHF", "EUR"]


async def time_rebase(url: str, count: int, repeats: int) -> dict[str, float]:
    database = Database(url)
    figures: dict[str, float] = {}
    try:
        async with database.session() as session:
            await currencies.ensure_rates_loaded(session)
            user = User(username=f"rebase{uuid.uuid4().hex[:6]}", email=None, currency="EUR")
            session.add(user)
            await session.flush()
            user_id = user.id
        generator = random.Random(15)
        first = date(2010, 1, 1)

        def entry(n: int) -> dict[str, object]:
            currency = generator.choice(CURRENCIES)
            exponent = 0 if currency == "JPY" else 2
            amount = Decimal(generator.randint(1, 10**6)).scaleb(-exponent)
            day = first + timedelta(days=generator.randint(0, 5000))
            # Base amounts are placeholders: the first change computes them all.
            return {"user_id": user_id, "amount": amount, "currency": currency,
                    "base_amount": amount, "rate_date": day, "date": day}  # fmt: skip

        expenses = [{**entry(n), "category": "bench"} for n in range(count)]
        incomes = [{**entry(n), "source": "bench"} for n in range(count // 10)]
        async with database.session() as session:
            for start_at in range(0, count, 20_000):
                await session.execute(insert(Expense), expenses[start_at : start_at + 20_000])
            await session.execute(insert(Income), incomes)
        for target in ("USD", "EUR"):
            times = []
            for _ in range(repeats):
                # Away and back each time, so every run re-expresses every entry.
                for base in (("EUR",) if target == "USD" else ("USD",)) + (target,):
                    async with database.session() as session:
                        owner = await session.get(User, user_id)
                        assert owner is not None
                        began = time.perf_counter()
                        await currencies.rebase_user(session, owner, base, date(2026, 11, 1))
                        await session.commit()
                        elapsed = time.perf_counter() - began
                times.append(elapsed)
            figures[f"base change, {count} + {count // 10} entries -> {target}"] = median(times)
    finally:
        await database.dispose()
    return figures


async def load(url: str, headers: dict[str, str], requests: int, with_currency: bool) -> float:
    connector = aiohttp.TCPConnector(limit=CLIENTS)
    async with aiohttp.ClientSession(url, headers=headers, connector=connector) as http:

        async def one(n: int) -> None:
            if n % 3 == 2:
                async with http.get("/api/expenses/?limit=20") as answer:
                    assert answer.status == 200, await answer.text()
                    await answer.read()
                return
            body = {"category": "bench", "amount": "12.34", "date": "2026-11-01"}
            if with_currency and n % 2:
                body["currency"] = "USD"
            async with http.post("/api/expenses/", json=body) as answer:
                assert answer.status == 201, await answer.text()
                await answer.read()

        await drive(CLIENTS, 100, one)  # warm-up (and the rates loaded once)
        rate, _ = await drive(CLIENTS, requests, one)
        return rate


def time_rest(url: str, workdir: Path, requests: int, repeats: int) -> dict[str, float]:
    port = free_port()
    server = start(
        [str(BIN / "finbot"), "serve", "--port", str(port)],
        workdir,
        clean_env(FINBOT_DATABASE_URL=url, FINBOT_LOG_LEVEL="warning"),
        f"http://127.0.0.1:{port}/healthz",
    )
    base = f"http://127.0.0.1:{port}"
    results: dict[str, list[float]] = {"base currency only": [], "USD on half": []}
    try:
        headers = finbot_headers(base)
        for _ in range(repeats):
            # Interleaved, so that the table growing hits both alike.
            for name, with_currency in (("base currency only", False), ("USD on half", True)):
                results[name].append(asyncio.run(load(base, headers, requests, with_currency)))
    finally:
        stop(server)
    figures = {f"REST create+list req/s, {name}": median(r) for name, r in results.items()}
    figures["REST ratio (USD on half / base only)"] = (
        figures["REST create+list req/s, USD on half"]
        / figures["REST create+list req/s, base currency only"]
    )
    return figures


def report(label: str, figures: dict[str, float]) -> None:
    for name, value in figures.items():
        print(f"{label:11} {name:55s} {value:9.2f}", flush=True)


async def admin(url: str, statement: str) -> None:
    database = Database(url, isolation_level="AUTOCOMMIT")
    try:
        async with database.engine.connect() as conn:
            await conn.exec_driver_sql(statement)
    finally:
        await database.dispose()


def run_backend(label: str, url: str, workdir: Path, args: argparse.Namespace) -> None:
    upgrade(url)
    report(label, asyncio.run(time_rebase(url, args.entries, args.repeats)))
    report(label, time_rest(url, workdir, args.requests, args.repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--postgres", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run_backend("sqlite", f"sqlite+aiosqlite:///{folder}/currency.db", Path(folder), args)
        if args.postgres:
            name = f"finbot_bench_{uuid.uuid4().hex[:8]}"
            asyncio.run(admin(args.postgres, f'CREATE DATABASE "{name}"'))
            url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
            try:
                run_backend("postgresql", url, Path(folder), args)
            finally:
                asyncio.run(admin(args.postgres, f'DROP DATABASE "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
