"""Migration 0011: money from cents to thousandths, entries gain their currency."""

import asyncio
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from core.db import Database
from core.models import Budget, Expense, Goal
from migrations import upgrade
from tests.conftest import TEST_DATABASE_URL, _admin_execute, _on_postgres


def _fresh_url(tmp_path: Path) -> tuple[str, str | None]:
    if not _on_postgres():
        return f"sqlite+aiosqlite:///{tmp_path}/migrate.db", None
    name = f"finbot_mig_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin_execute(TEST_DATABASE_URL, f'CREATE DATABASE "{name}"'))
    url = make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    return url, name


async def _execute(url: str, *statements: str) -> None:
    database = Database(url)
    try:
        async with database.engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await database.dispose()


def test_existing_money_and_entries_survive_the_upgrade_exactly(tmp_path: Path) -> None:
    url, name = _fresh_url(tmp_path)
    try:
        upgrade(url, "0010")
        # Written as the old schema stored them: cents on SQLite, NUMERIC(14, 2) elsewhere.
        cents = not _on_postgres()
        money = (lambda v: str(int(Decimal(v) * 100))) if cents else (lambda v: v)
        asyncio.run(
            _execute(
                url,
                "INSERT INTO users (id, username, timezone, currency, created_at, weekly_summary,"
                " monthly_summary) VALUES (1, 'ken', 'UTC', 'JPY', '2026-01-01 00:00:00',"
                " true, true)",
                "INSERT INTO expenses (user_id, category, amount, date, description, created_at)"
                f" VALUES (1, 'food', {money('1500')}, '2026-03-07', '', '2026-01-01 00:00:00'),"
                f" (1, 'tea', {money('999999999999')}, '2026-03-08', '', '2026-01-01 00:00:00')",
                'INSERT INTO budgets (user_id, category, "limit", period, created_at)'
                f" VALUES (1, 'food', {money('12.34')}, 'monthly', '2026-01-01 00:00:00')",
                "INSERT INTO goals (user_id, target_amount, saved_amount, description, deadline,"
                f" created_at) VALUES (1, {money('100.5')}, {money('0.01')}, '', '2027-01-01',"
                " '2026-01-01 00:00:00')",
            )
        )
        upgrade(url)

        async def read() -> tuple[list[object], Decimal, tuple[Decimal, Decimal]]:
            database = Database(url)
            try:
                async with database.session() as session:
                    expenses = (
                        await session.execute(
                            select(
                                Expense.amount,
                                Expense.currency,
                                Expense.base_amount,
                                Expense.rate_date,
                            ).order_by(Expense.id)
                        )
                    ).all()
                    limit = await session.scalar(select(Budget.limit))
                    amounts = select(Goal.target_amount, Goal.saved_amount)
                    goal = (await session.execute(amounts)).one()
            finally:
                await database.dispose()
            assert limit is not None
            return [tuple(row) for row in expenses], limit, (goal[0], goal[1])

        expenses, limit, goal = asyncio.run(read())
        assert expenses == [
            (Decimal(1500), "JPY", Decimal(1500), date(2026, 3, 7)),
            (Decimal(999999999999), "JPY", Decimal(999999999999), date(2026, 3, 8)),
        ]
        assert limit == Decimal("12.34")
        assert goal == (Decimal("100.5"), Decimal("0.01"))
    finally:
        if name:
            asyncio.run(_admin_execute(TEST_DATABASE_URL, f'DROP DATABASE "{name}" WITH (FORCE)'))
