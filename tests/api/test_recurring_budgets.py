"""Pay-day periods, rollover and pace alerts on budgets (SPEC 7)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.budgets.alerts import check_budgets
from core.budgets.repository import BudgetRepository
from core.models import Budget, Expense, Notification, User


async def person(db, pay_day: int = 1) -> User:
    async with db.session() as session:
        user = User(username="ana", email="ana@example.org", pay_day=pay_day)
        session.add(user)
        await session.flush()
        return user


async def budget(db, user: User, limit: str, rollover: bool = False, since: date | None = None):
    made = datetime.combine(since or date(2030, 1, 1), datetime.min.time(), UTC)
    async with db.session() as session:
        row = Budget(user_id=user.id, category="food", limit=Decimal(limit), period="monthly",
                     rollover=rollover, created_at=made)  # fmt: skip
        session.add(row)
        await session.flush()
        return row


async def spend(db, user: User, *items: tuple[str, date]) -> None:
    async with db.session() as session:
        session.add_all(
            Expense(user_id=user.id, category="food", amount=Decimal(a), date=d) for a, d in items
        )


async def notes(db) -> list[str]:
    async with db.session() as session:
        query = select(Notification.message).order_by(Notification.id)
        return list((await session.execute(query)).scalars())


async def check(db, user: User, row: Budget, today: date) -> None:
    async with db.session() as session:
        await check_budgets(session, user, [row], today)


@pytest.mark.parametrize(
    ("pay_day", "today", "inside", "outside"),
    [
        (25, date(2031, 1, 10), [date(2030, 12, 25), date(2031, 1, 24)],
         [date(2030, 12, 24), date(2031, 1, 25)]),
        # Pay day 31 is the last day of a shorter month: 28 Feb 2031 starts a period.
        (31, date(2031, 2, 15), [date(2031, 1, 31), date(2031, 2, 27)],
         [date(2031, 1, 30), date(2031, 2, 28)]),
        (31, date(2031, 3, 1), [date(2031, 2, 28), date(2031, 3, 30)],
         [date(2031, 2, 27), date(2031, 3, 31)]),
    ],
)  # fmt: skip
async def test_monthly_budgets_run_from_pay_day(app, pay_day, today, inside, outside):
    db = app.state.database
    user = await person(db, pay_day)
    row = await budget(db, user, "1000")
    await spend(db, user, *(("10", d) for d in inside), *(("500", d) for d in outside))
    async with db.session() as session:
        spent = await BudgetRepository(session).spent([row.id], today, user.pay_day)
    assert spent == {row.id: Decimal("20.00")}


async def test_pace_alert_once_and_not_before_the_third_day(app):
    db = app.state.database
    user = await person(db)
    row = await budget(db, user, "300")
    await spend(db, user, ("100", date(2031, 1, 1)))
    await check(db, user, row, date(2031, 1, 2))  # 100 in two days would run out on the 6th
    assert await notes(db) == []
    await check(db, user, row, date(2031, 1, 3))  # 100 in three days: 300 on the 9th
    assert await notes(db) == ["food: at this pace the budget runs out around 9 Jan"]
    await spend(db, user, ("20", date(2031, 1, 4)))
    await check(db, user, row, date(2031, 1, 4))
    assert await notes(db) == ["food: at this pace the budget runs out around 9 Jan"]


async def test_no_pace_alert_when_the_run_out_is_in_the_last_three_days(app):
    db = app.state.database
    user = await person(db)
    row = await budget(db, user, "310")
    await spend(db, user, ("30", date(2031, 1, 3)))  # 10 a day: 310 on the 31st
    await check(db, user, row, date(2031, 1, 3))
    assert await notes(db) == []


@pytest.mark.parametrize(
    ("december", "january", "message"),
    [
        ("60", "120", "food: 120.00 of 140.00 EUR spent this month (85 %)"),  # +40 carried
        ("130", "60", "food: 60.00 of 70.00 EUR spent this month (85 %)"),  # -30 carried
    ],
)
async def test_rollover_carries_what_was_left_or_overspent(app, december, january, message):
    db = app.state.database
    user = await person(db)
    row = await budget(db, user, "100", rollover=True, since=date(2030, 12, 1))
    await spend(db, user, (december, date(2030, 12, 10)), (january, date(2031, 1, 20)))
    await check(db, user, row, date(2031, 1, 28))
    assert await notes(db) == [message]


async def test_no_rollover_without_the_flag_or_a_previous_period(app):
    db = app.state.database
    user = await person(db)
    plain = await budget(db, user, "100", since=date(2030, 12, 1))
    young = await budget(db, user, "100", rollover=True, since=date(2030, 12, 5))
    await spend(db, user, ("10", date(2030, 12, 10)))
    async with db.session() as session:
        carried = await BudgetRepository(session).carried(
            [plain.id, young.id], date(2031, 1, 28), user.pay_day
        )
    assert carried == {}


async def test_rollover_is_a_budget_field(client, alice):
    made = await client.post(
        "/api/budgets/",
        json={"category": "food", "limit": "100", "period": "monthly", "rollover": True},
        headers=alice,
    )
    assert made.status_code == 201 and made.json()["rollover"] is True
    url = f"/api/budgets/{made.json()['id']}/"
    patched = await client.patch(url, json={"rollover": False}, headers=alice)
    assert patched.json()["rollover"] is False and patched.json()["remaining"] == 100


async def test_rollover_counts_what_a_foreign_expense_cost_in_the_base_currency(app):
    db = app.state.database
    user = await person(db)
    row = await budget(db, user, "100", rollover=True, since=date(2030, 12, 1))
    async with db.session() as session:  # 50 USD paid, 40 EUR in the base currency
        session.add(Expense(user_id=user.id, category="food", amount=Decimal("50"), currency="USD",
                            base_amount=Decimal("40"), date=date(2030, 12, 10)))  # fmt: skip
    async with db.session() as session:
        carried = await BudgetRepository(session).carried([row.id], date(2031, 1, 28), 1)
    assert carried == {row.id: Decimal("60")}
