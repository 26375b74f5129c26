"""The budget sweep with pay-day periods, pace alerts and rollover (SPEC 7)."""

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select

from core.models import Budget, Expense, Notification, User
from scheduler.jobs import run_job


async def setup(app, pay_day: int, rollover: bool, limit: str, *spending: tuple[str, date]):
    db = app.state.database
    async with db.session() as session:
        user = User(username="ana", email="ana@example.org", pay_day=pay_day)
        session.add(user)
        await session.flush()
        session.add(
            Budget(user_id=user.id, category="food", limit=Decimal(limit), period="monthly",
                   rollover=rollover, created_at=datetime(2030, 12, 1, tzinfo=UTC))
        )  # fmt: skip
        session.add_all(
            Expense(user_id=user.id, category="food", amount=Decimal(a), date=d)
            for a, d in spending
        )
    return db


async def sweep(db, day: date) -> int | None:
    return await run_job(
        "budget-sweep", db, None, datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    )


async def messages(db) -> list[str]:
    async with db.session() as session:
        query = select(Notification.message).order_by(Notification.id)
        return list((await session.execute(query)).scalars())


async def test_pace_from_the_third_day_of_a_pay_day_period_once(app):
    # Pay day 25: the 200 of 20 January belong to the period before.
    db = await setup(app, 25, False, "300", ("200", date(2031, 1, 20)), ("100", date(2031, 1, 25)))
    assert await sweep(db, date(2031, 1, 26)) == 0  # day 2: too early to tell
    assert await sweep(db, date(2031, 1, 27)) == 1
    assert await sweep(db, date(2031, 1, 28)) == 0
    assert await messages(db) == ["food: at this pace the budget runs out around 2 Feb"]


async def test_the_sweep_counts_the_rollover(app):
    spending = [("60", date(2030, 12, 10)), ("120", date(2031, 1, 20))]
    db = await setup(app, 1, True, "100", *spending)
    assert await sweep(db, date(2031, 1, 28)) == 1
    assert await messages(db) == ["food: 120.00 of 140.00 EUR spent this month (85 %)"]


async def test_monthly_summary_from_pay_day_to_pay_day(app):
    spending = [("70", date(2030, 12, 24)), ("40", date(2030, 12, 25)), ("2", date(2031, 1, 24))]
    db = await setup(app, 25, False, "1000", *spending)
    async with db.session() as session:  # a calendar-month user: not due on the 25th
        other = User(username="bo", email="bo@example.org")
        session.add(other)
        await session.flush()
        session.add(
            Expense(user_id=other.id, category="x", amount=Decimal(5), date=date(2031, 1, 3))
        )
    assert await run_job("monthly-summary", db, None, datetime(2031, 1, 24, 9, 30, tzinfo=UTC)) == 0
    assert await run_job("monthly-summary", db, None, datetime(2031, 1, 25, 9, 30, tzinfo=UTC)) == 1
    assert (
        await run_job("monthly-summary", db, None, datetime(2031, 1, 25, 10, 30, tzinfo=UTC)) == 0
    )
    [summary] = await messages(db)
    assert summary.startswith(
        "Your month (2030-12-25 – 2031-01-24): spent 42.00 EUR (−40 % vs the period before)"
    )
