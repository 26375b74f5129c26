"""Rates: first-use load of the shipped ECB history, and one set-based re-expression.

Re-expresses N entries (mixed USD/GBP/JPY/CHF/EUR at random days since 2010) into
EUR, then USD, with one UPDATE each (core.currencies.repository.convert_column),
on SQLite and, given --postgres, on PostgreSQL. Prints seconds (median of repeats).
Usage: python bench/rates.py [--entries N] [--repeats R] [--postgres URL]
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    insert,
)
from sqlalchemy.engine import make_url

from bench.common import median
from core.currencies import repository as rates
from core.currencies import service as currencies
from core.db import Database
from core.models.base import Money
from migrations import upgrade

metadata = MetaData()
entries = Table(
    "bench_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("amount", Money(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("day", Date, nullable=False),
    Column("base_amount", Money()),
    Column("rate_date", Date),
)


async def run(url: str, count: int, repeats: int) -> dict[str, float]:
    database = Database(url)
    figures: dict[str, float] = {}
    try:
        began = time.perf_counter()
        async with database.session() as session:
            await currencies.ensure_rates_loaded(session)
        figures["load shipped history"] = time.perf_counter() - began
        generator = random.Random(15)
        first = date(2010, 1, 1)
        rows = [
            {
                "id": n,
                "amount": Decimal(generator.randint(1, 10**7)).scaleb(-2),
                "currency": generator.choice(["USD", "GBP", "JPY", "CHF", "EUR"]),
                "day": first + timedelta(days=generator.randint(0, 6000)),
            }
            for n in range(count)
        ]
        async with database.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            await conn.execute(insert(entries), rows)
        for base in ("EUR", "USD"):
            times = []
            for _ in range(repeats):
                began = time.perf_counter()
                async with database.session() as session:
                    missing = await rates.currency_without_rate(
                        session,
                        currency=entries.c.currency,
                        day=entries.c.day,
                        base_currency=base,
                    )
                    assert missing is None
                    updated = await rates.convert_column(
                        session,
                        entries,
                        amount=entries.c.amount,
                        currency=entries.c.currency,
                        day=entries.c.day,
                        base=entries.c.base_amount,
                        rate_date=entries.c.rate_date,
                        base_currency=base,
                    )
                    assert updated == count
                times.append(time.perf_counter() - began)
            figures[f"re-express {count} entries -> {base}"] = median(times)
    finally:
        await database.dispose()
    return figures


async def admin(url: str, statement: str) -> None:
    database = Database(url, isolation_level="AUTOCOMMIT")
    try:
        async with database.engine.connect() as conn:
            await conn.exec_driver_sql(statement)
    finally:
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--postgres", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/rates.db"
        upgrade(url)
        for name, seconds in asyncio.run(run(url, args.entries, args.repeats)).items():
            print(f"sqlite      {name:40s} {seconds:7.2f} s")
    if args.postgres:
        name = f"finbot_bench_{uuid.uuid4().hex[:8]}"
        asyncio.run(admin(args.postgres, f'CREATE DATABASE "{name}"'))
        url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
        try:
            upgrade(url)
            for label, seconds in asyncio.run(run(url, args.entries, args.repeats)).items():
                print(f"postgresql  {label:40s} {seconds:7.2f} s")
        finally:
            asyncio.run(admin(args.postgres, f'DROP DATABASE "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
