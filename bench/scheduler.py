"""The scheduler's set-based jobs at scale, on PostgreSQL.

Generates 10,000 users (spread over a few timezones), 100,000 budgets and
1,000,000 expenses with COPY, then times the budget sweep and the weekly
summary job at 10 % and at 100 % of that data (median of repeats). The
alerts and summaries made by a run are deleted before the next, so each run
does the full work. Usage: python bench/scheduler.py [--scale 1.0] [--repeats 3]
"""

import argparse
import asyncio
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import median, scratch_postgres
from core.db import Database
from scheduler import jobs

TIMEZONES = ["UTC", "Europe/Lisbon", "Europe/Berlin", "America/New_York", "Asia/Tokyo"]
CATEGORIES = ["food", "rent", "taxi", "fun", "bills", "health", "travel", "gifts", "books", "pets"]
PERIODS = ["daily", "weekly", "monthly", "yearly"]
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # Monday: weekly summaries are due


async def generate(dsn: str, users: int, budgets_per_user: int, expenses_per_user: int) -> None:
    rng = random.Random(7)
    conn = await asyncpg.connect(dsn)
    try:
        created = datetime.now(UTC)
        await conn.copy_records_to_table(
            "users",
            columns=["id", "username", "email", "timezone", "currency", "created_at",
                     "weekly_summary", "monthly_summary"],
            records=[(n, f"u{n}", f"u{n}@example.org", TIMEZONES[n % len(TIMEZONES)], "EUR",
                      created, True, True) for n in range(1, users + 1)],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "budgets",
            columns=["user_id", "category", "limit", "period", "created_at"],
            records=[(u, CATEGORIES[b], Decimal(rng.choice([50, 100, 300, 1000])),
                      PERIODS[b % 4], created)
                     for u in range(1, users + 1) for b in range(budgets_per_user)],
        )  # fmt: skip
        start = date(2026, 10, 1)
        records = [
            (u, rng.choice(CATEGORIES), amount, day, "", created, "EUR", amount, day)
            for u in range(1, users + 1) for _ in range(expenses_per_user)
            for amount, day in [(Decimal(rng.randint(100, 9000)) / 100,
                                 start + timedelta(days=rng.randint(0, 53)))]
        ]  # fmt: skip
        await conn.copy_records_to_table(
            "expenses",
            columns=["user_id", "category", "amount", "date", "description", "created_at",
                     "currency", "base_amount", "rate_date"],
            records=records,
        )  # fmt: skip
        await conn.execute("SELECT setval('users_id_seq', $1)", users)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def time_jobs(url: str, repeats: int) -> tuple[float, float, int, int]:
    database = Database(url)
    sweep_times, summary_times = [], []
    alerts = summaries = 0
    try:
        for _ in range(repeats):
            async with database.session() as session:
                from sqlalchemy import text

                await session.execute(text("DELETE FROM notifications"))
            began = time.perf_counter()
            alerts = await jobs.budget_sweep(database, None, NOW)
            sweep_times.append(time.perf_counter() - began)
            began = time.perf_counter()
            summaries = await jobs.weekly_summary(database, None, NOW)
            summary_times.append(time.perf_counter() - began)
    finally:
        await database.dispose()
    return median(sweep_times), median(summary_times), alerts, summaries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    results = []
    for fraction in (0.1, 1.0):
        users = int(10_000 * args.scale * fraction)
        with scratch_postgres(args.postgres) as (dsn, url):
            began = time.perf_counter()
            asyncio.run(generate(dsn, users, 10, 100))
            load = time.perf_counter() - began
            sweep, summary, alerts, made = asyncio.run(time_jobs(url, args.repeats))
            results.append((fraction, sweep, summary))
            print(
                f"{users:6} users, {users * 10:7} budgets, {users * 100:8} expenses "
                f"(loaded in {load:.1f}s): budget sweep {sweep:.2f}s ({alerts} alerts), "
                f"weekly summary {summary:.2f}s ({made} summaries)"
            )
    (_, small_sweep, small_summary), (_, full_sweep, full_summary) = results
    print(
        f"growth from 10 % to 100 % of the data (10x): sweep x{full_sweep / small_sweep:.1f}, "
        f"summary x{full_summary / small_summary:.1f}"
    )


if __name__ == "__main__":
    main()
