"""Household balances at scale, on PostgreSQL and SQLite.

A household of 10 people with 100,000 shared expenses over two years (a tenth in
USD, GBP or JPY, converted at each date's rate; a fifth split unevenly between two
to four members) and 200 settlements, bulk loaded. Its membership changed twice, so
the expenses sit on three rosters (the members when each was recorded: 1-8, then
1-10, then 1-10 without 3, who left) (COPY on PostgreSQL, executemany
on SQLite). Times the balances (the one SQL statement and the fewest transfers
after it), median of repeats, and checks the figures against core/households/settle.py
computed in Python over the same rows. Target: under 1 s on PostgreSQL.
Usage: python bench/households.py [--postgres URL] [--expenses 100000] [--repeats 5]
"""

import argparse
import asyncio
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import median
from core.currencies import repository as rates
from core.currencies.codes import minor_unit
from core.currencies.service import cross_rate, ensure_rates_loaded
from core.db import Database
from core.households import settle
from core.households.balances import household_balances
from core.models import Expense, ExpenseShare, Household, HouseholdMember, Settlement, User
from core.models.households import (
    SHARE_UNIT,
    ExpenseRoster,
    HouseholdRoster,
    HouseholdRosterMember,
)
from migrations import upgrade

MEMBERS = 10
HOUSEHOLD = 1
FIRST_DAY = date(2023, 1, 2)
DAYS = 730
FOREIGN = ["USD", "GBP", "JPY"]
CATEGORIES = ["groceries", "rent", "power", "internet", "cleaning", "dinner"]
# Who shared the expenses recorded in each third of the time: two joined, then one left.
ROSTERS = {
    1: list(range(1, 9)),
    2: list(range(1, MEMBERS + 1)),
    3: [n for n in range(1, MEMBERS + 1) if n != 3],
}


def roster_of(expense_id: int, expenses: int) -> int:
    return 1 if expense_id <= expenses * 0.3 else 2 if expense_id <= expenses * 0.7 else 3


def generate(expenses: int) -> dict[str, list[dict[str, Any]]]:
    """The rows, as plain values (amounts Decimal, shares Decimal)."""
    rng = random.Random(20)
    created = datetime.now(UTC)
    users = [
        {
            "id": n,
            "username": f"m{n}",
            "email": f"m{n}@example.org",
            "timezone": "UTC",
            "currency": "EUR",
            "created_at": created,
            "weekly_summary": True,
            "monthly_summary": True,
            "pay_day": 1,
        }
        for n in range(1, MEMBERS + 1)
    ]
    members = [
        {"household_id": HOUSEHOLD, "user_id": n, "role": "owner" if n == 1 else "member",
         "joined_at": created}
        for n in ROSTERS[3]
    ]  # fmt: skip
    rosters = [{"id": r, "household_id": HOUSEHOLD, "created_at": created} for r in ROSTERS]
    on_rosters = [{"roster_id": r, "user_id": n} for r, people in ROSTERS.items() for n in people]
    rows, shares, expense_rosters = [], [], []
    for n in range(1, expenses + 1):
        people = ROSTERS[roster_of(n, expenses)]
        expense_rosters.append({"expense_id": n, "roster_id": roster_of(n, expenses)})
        day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        currency = rng.choice(FOREIGN) if rng.random() < 0.1 else "EUR"
        cents = rng.randint(100, 30_000)
        amount = Decimal(cents * 100 if currency == "JPY" else cents).scaleb(
            0 if currency == "JPY" else -2
        )
        rows.append(
            {"id": n, "user_id": rng.choice(people), "household_id": HOUSEHOLD,
             "category": rng.choice(CATEGORIES), "amount": amount, "currency": currency,
             "base_amount": amount, "rate_date": day, "date": day, "description": "",
             "created_at": created}
        )  # fmt: skip
        if rng.random() < 0.2:
            chosen = rng.sample(people, rng.randint(2, 4))
            cuts = sorted(rng.sample(range(1, 1000), len(chosen) - 1))
            bounds = [0, *cuts, 1000]
            for i, user in enumerate(chosen):
                share = Decimal(bounds[i + 1] - bounds[i]).scaleb(-3)
                shares.append({"expense_id": n, "user_id": user, "share": share})
    settlements = []
    for _ in range(200):
        source, target = rng.sample(range(1, MEMBERS + 1), 2)
        settlements.append(
            {"household_id": HOUSEHOLD, "from_user_id": source, "to_user_id": target,
             "amount": Decimal(rng.randint(100, 50_000)).scaleb(-2), "currency": "EUR",
             "date": FIRST_DAY, "note": "", "created_at": created}
        )  # fmt: skip
    return {
        "users": users,
        "members": members,
        "expenses": rows,
        "shares": shares,
        "settlements": settlements,
        "rosters": rosters,
        "roster_members": on_rosters,
        "expense_rosters": expense_rosters,
    }


HOUSEHOLD_ROW = {"id": HOUSEHOLD, "name": "bench", "currency": "EUR"}


async def load_postgres(dsn: str, data: dict[str, list[dict[str, Any]]]) -> None:
    conn = await asyncpg.connect(dsn)
    try:

        async def copy(table: str, rows: list[dict[str, Any]]) -> None:
            columns = list(rows[0])
            await conn.copy_records_to_table(
                table, columns=columns, records=[tuple(r[c] for c in columns) for r in rows]
            )

        await copy("users", data["users"])
        await copy("households", [{**HOUSEHOLD_ROW, "created_at": datetime.now(UTC)}])
        await copy("household_members", data["members"])
        await copy("expenses", data["expenses"])
        # The Share column holds integer billionths.
        await copy(
            "expense_shares",
            [{**s, "share": int(s["share"] * SHARE_UNIT)} for s in data["shares"]],
        )
        await copy("settlements", data["settlements"])
        await copy("household_rosters", data["rosters"])
        await copy("household_roster_members", data["roster_members"])
        await copy("expense_rosters", data["expense_rosters"])
        for table in ("users", "households", "expenses", "household_rosters"):
            await conn.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def load_sqlite(database: Database, data: dict[str, list[dict[str, Any]]]) -> None:
    # executemany through the tables' own types (integer thousandths and billionths).
    async with database.session() as session:
        await session.execute(insert(User), data["users"])
        await session.execute(
            insert(Household), [{**HOUSEHOLD_ROW, "created_at": datetime.now(UTC)}]
        )
        await session.execute(insert(HouseholdMember), data["members"])
        for start in range(0, len(data["expenses"]), 20_000):
            await session.execute(insert(Expense), data["expenses"][start : start + 20_000])
        await session.execute(insert(ExpenseShare), data["shares"])
        await session.execute(insert(Settlement), data["settlements"])
        await session.execute(insert(HouseholdRoster), data["rosters"])
        await session.execute(insert(HouseholdRosterMember), data["roster_members"])
        await session.execute(insert(ExpenseRoster), data["expense_rosters"])


async def reference(database: Database, data: dict[str, list[dict[str, Any]]]) -> settle.Balances:
    """settle.py over the same rows, each converted at its date's rate in Python: each
    roster's expenses among its people, the settlements among everyone, summed."""
    splits: dict[int, dict[int, Decimal]] = {}
    for share in data["shares"]:
        splits.setdefault(share["expense_id"], {})[share["user_id"]] = share["share"]
    cached: dict[tuple[str, date], tuple[Decimal, Decimal]] = {}
    expenses: dict[int, list[settle.SharedExpense]] = {r: [] for r in ROSTERS}
    async with database.session() as session:
        for row in data["expenses"]:
            amount = row["amount"]
            if row["currency"] != "EUR":
                key = (row["currency"], row["date"])
                if key not in cached:
                    from_rate, to_rate, _ = await cross_rate(session, key[0], "EUR", key[1])
                    cached[key] = (from_rate, to_rate)
                from_rate, to_rate = cached[key]
                amount = rates.convert_amount(amount, from_rate, to_rate, minor_unit("EUR"))
            roster = roster_of(row["id"], len(data["expenses"]))
            expenses[roster].append(
                settle.SharedExpense(row["user_id"], amount, splits.get(row["id"]))
            )
    paid = [
        settle.Settlement(s["from_user_id"], s["to_user_id"], s["amount"])
        for s in data["settlements"]
    ]
    everyone = list(range(1, MEMBERS + 1))
    parts = [settle.settle(ROSTERS[r], expenses[r], [], "EUR") for r in ROSTERS]
    parts.append(settle.settle(everyone, [], paid, "EUR"))
    totals = {n: [Decimal(0)] * 5 for n in everyone}
    for part in parts:
        for m in part.members:
            for i, value in enumerate((m.paid, m.share, m.settled_out, m.settled_in, m.balance)):
                totals[m.user_id][i] += value
    return settle.Balances(
        currency="EUR",
        members=tuple(settle.MemberBalance(n, *totals[n]) for n in everyone),
        transfers=tuple(settle.fewest_transfers({n: totals[n][4] for n in everyone}, "EUR")),
    )


async def measure(database: Database, repeats: int) -> tuple[list[float], settle.Balances]:
    async with database.session() as session:
        await ensure_rates_loaded(session)
    times = []
    result = None
    for _ in range(repeats):
        async with database.session() as session:
            household = await session.get(Household, HOUSEHOLD)
            assert household is not None
            began = time.perf_counter()
            result = await household_balances(session, household)
            times.append(time.perf_counter() - began)
    assert result is not None
    return times, result


def report(
    name: str, times: list[float], result: settle.Balances, expected: settle.Balances
) -> None:
    same = result == expected
    print(
        f"{name:10}: balances of {MEMBERS} members in {median(times) * 1000:.0f} ms median"
        f" (first {times[0] * 1000:.0f} ms, {len(times)} runs); "
        f"{len(result.transfers)} transfers; same as settle.py: {'yes' if same else 'NO'}"
    )
    if not same:
        print("  sql:", result)
        print("  ref:", expected)


async def run_postgres(admin_dsn: str, data: dict[str, Any], repeats: int) -> None:
    name = f"finbot_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    dsn = f"{admin_dsn.rsplit('/', 1)[0]}/{name}"
    url = "postgresql+asyncpg://" + dsn.split("://", 1)[1]
    try:
        await asyncio.to_thread(upgrade, url)
        began = time.perf_counter()
        await load_postgres(dsn, data)
        print(f"PostgreSQL: loaded in {time.perf_counter() - began:.1f}s")
        database = Database(url)
        try:
            times, result = await measure(database, repeats)
            report("PostgreSQL", times, result, await reference(database, data))
        finally:
            await database.dispose()
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


async def run_sqlite(data: dict[str, Any], repeats: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        await asyncio.to_thread(upgrade, url)
        database = Database(url)
        try:
            began = time.perf_counter()
            await load_sqlite(database, data)
            print(f"SQLite    : loaded in {time.perf_counter() - began:.1f}s")
            times, result = await measure(database, repeats)
            report("SQLite", times, result, await reference(database, data))
        finally:
            await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--expenses", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    data = generate(args.expenses)
    print(
        f"{MEMBERS} members, {len(data['expenses'])} shared expenses,"
        f" {len(data['shares'])} split rows, {len(data['settlements'])} settlements"
    )
    asyncio.run(run_postgres(args.postgres, data, args.repeats))
    if not args.skip_sqlite:
        asyncio.run(run_sqlite(data, args.repeats))


if __name__ == "__main__":
    main()
