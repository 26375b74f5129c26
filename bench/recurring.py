"""post-recurring at scale, on PostgreSQL.

Generates 10,000 users (a few timezones, one budget each) and 100,000 recurring
entries (daily, weekly, monthly and yearly rules, a fifth with reminders, a tenth
behind by three days so they catch up), all due on the run's day, with COPY; then
times the post-recurring job at 10 % and at 100 % of that (median of repeats). Between
runs the postings, the entries they made and the notifications are removed and the
entries' schedules restored, so each run does the full work.
Usage: python bench/recurring.py [--scale 1.0] [--repeats 3]
"""

import argparse
import asyncio
import os
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
CATEGORIES = ["rent", "gym", "phone", "netflix", "insurance", "water", "power", "loan"]
NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)  # Monday 23 Nov in every timezone above
DAY = date(2026, 11, 23)
# Each rule has an occurrence on DAY.
RULES = [
    "FREQ=DAILY",
    "FREQ=WEEKLY;BYDAY=MO",
    "FREQ=MONTHLY;BYMONTHDAY=23",
    "FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=23",
    "FREQ=MONTHLY;BYDAY=4MO",
]
RESTORE = """
UPDATE recurring_entries AS r
SET next_date = o.next_date, reminded_for = o.reminded_for, wake_on = o.wake_on
FROM bench_schedules AS o WHERE r.id = o.id
"""


async def generate(dsn: str, users: int, entries_per_user: int) -> int:
    rng = random.Random(7)
    conn = await asyncpg.connect(dsn)
    try:
        created = datetime.now(UTC)
        await conn.copy_records_to_table(
            "users",
            columns=["id", "username", "email", "timezone", "currency", "created_at",
                     "weekly_summary", "monthly_summary", "pay_day"],
            records=[(n, f"u{n}", f"u{n}@example.org", TIMEZONES[n % len(TIMEZONES)], "EUR",
                      created, True, True, 1) for n in range(1, users + 1)],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "budgets",
            columns=["user_id", "category", "limit", "period", "created_at", "rollover"],
            records=[(u, "rent", Decimal(5000), "monthly", created, False)
                     for u in range(1, users + 1)],
        )  # fmt: skip
        records = []
        for user in range(1, users + 1):
            for n in range(entries_per_user):
                rule = RULES[n % len(RULES)]
                behind = rule == "FREQ=DAILY" and rng.random() < 0.5  # catch up 3 days
                next_date = DAY - timedelta(days=3) if behind else DAY
                remind = 3 if rng.random() < 0.2 else None
                start = date(2025, 1, 1) + timedelta(days=rng.randint(0, 300))
                records.append(
                    (user, "expense", CATEGORIES[n % len(CATEGORIES)],
                     Decimal(rng.randint(500, 90000)) / 100, "EUR", "", rule, start, None,
                     remind, next_date, next_date if remind else None, next_date, created)
                )  # fmt: skip
        await conn.copy_records_to_table(
            "recurring_entries",
            columns=["user_id", "kind", "name", "amount", "currency", "description", "rrule",
                     "start", "end", "remind_days_before", "next_date", "reminded_for",
                     "wake_on", "created_at"],
            records=records,
        )  # fmt: skip
        await conn.execute("SELECT setval('users_id_seq', $1)", users)
        await conn.execute(
            "CREATE TABLE bench_schedules AS "
            "SELECT id, next_date, reminded_for, wake_on FROM recurring_entries"
        )
        await conn.execute("ANALYZE")
        return len(records)
    finally:
        await conn.close()


async def reset(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("TRUNCATE recurring_postings, expenses, notifications CASCADE")
        await conn.execute(RESTORE)
        await conn.execute("VACUUM ANALYZE recurring_entries")
    finally:
        await conn.close()


def backend_cpu(pids: list[int]) -> float | None:
    """CPU seconds these PostgreSQL backends used, when the server is on this machine."""
    try:
        total = 0
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    except OSError:
        return None
    return total / os.sysconf("SC_CLK_TCK")


async def time_job(dsn: str, url: str, repeats: int) -> tuple[float, float, float | None, int]:
    """Median wall seconds, and CPU seconds of this process and of the job's
    PostgreSQL backends: on a shared machine the wall time says how busy it is, the
    CPU time what the job costs."""
    times, python_cpu, database_cpu = [], [], []
    made = 0
    for _ in range(repeats):
        await reset(dsn)
        database = Database(url)
        try:
            began, cpu = time.perf_counter(), time.process_time()
            made = await jobs.post_recurring(database, None, NOW)
            times.append(time.perf_counter() - began)
            python_cpu.append(time.process_time() - cpu)
            conn = await asyncpg.connect(dsn)
            try:
                query = "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                pids = [
                    row[0] for row in await conn.fetch(query) if row[0] != conn.get_server_pid()
                ]
            finally:
                await conn.close()
            database_cpu.append(backend_cpu(pids))
        finally:
            await database.dispose()
    known = [cpu for cpu in database_cpu if cpu is not None]
    return median(times), median(python_cpu), median(known) if known else None, made


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
            entries = asyncio.run(generate(dsn, users, 10))
            load = time.perf_counter() - began
            seconds, python_cpu, database_cpu, made = asyncio.run(time_job(dsn, url, args.repeats))
            results.append(seconds)
            cpu = f"cpu: python {python_cpu:.2f}s"
            if database_cpu is not None:
                cpu += f", postgres {database_cpu:.2f}s"
            print(
                f"{users:6} users, {entries:7} recurring entries (loaded in {load:.1f}s): "
                f"post-recurring {seconds:.2f}s ({cpu}; {made} entries and reminders made; "
                f"load {os.getloadavg()[0]:.1f})"
            )
    small, full = results
    print(f"growth from 10 % to 100 % (10x the entries): x{full / small:.1f}")


if __name__ == "__main__":
    main()
