"""Safe-to-spend and the forecast, exact to the cent on a hand-computed example."""

from datetime import date
from decimal import Decimal

from core.models import Expense, Income, RecurringPosting, User
from core.planning.service import forecast_days, safe_to_spend_now
from core.recurring.schemas import RecurringCreate
from core.recurring.service import recurring

TODAY = date(2031, 1, 10)  # a Friday; pay day 25: the period is 25 Dec - 24 Jan


async def example(db) -> User:
    """Salary 2000 paid on the 25th; spent 123.46 since; rent 900 on the 3rd (already
    past), gym 30 every Friday (today's recorded), freelance 250 on the 15th."""
    async with db.session() as session:
        user = User(username="ana", email="ana@example.org", pay_day=25)
        session.add(user)
        await session.flush()
        food = [("123.46", date(2031, 1, 5)), ("10", date(2030, 12, 24)), ("50", date(2031, 1, 11))]
        session.add_all(
            Expense(user_id=user.id, category="food", amount=Decimal(amount), date=day)
            for amount, day in food
        )
        session.add(
            Income(user_id=user.id, source="salary", amount=Decimal(2000), date=date(2030, 12, 25))
        )
        start = date(2030, 12, 1)
        for values in (
            {"kind": "expense", "category": "rent", "amount": "900",
             "rrule": "FREQ=MONTHLY;BYMONTHDAY=3"},
            {"kind": "expense", "category": "gym", "amount": "30", "rrule": "FREQ=WEEKLY;BYDAY=FR",
             "description": "gym"},
            {"kind": "income", "source": "freelance", "amount": "250",
             "rrule": "FREQ=MONTHLY;BYMONTHDAY=15", "description": "freelance"},
        ):  # fmt: skip
            entry = await recurring.create(
                session, user, RecurringCreate.model_validate({**values, "start": start})
            )
            if entry.name == "gym":
                session.add(RecurringPosting(recurring_id=entry.id, date=TODAY))
        return user


async def test_safe_to_spend_by_hand(app):
    db = app.state.database
    user = await example(db)
    async with db.session() as session:
        figure = await safe_to_spend_now(session, user, TODAY)
    assert (figure.period_start, figure.period_end) == (date(2030, 12, 25), date(2031, 1, 24))
    assert figure.income == Decimal("2000.00")
    assert figure.expected_income == Decimal("250.00")  # freelance on the 15th
    assert figure.spent == Decimal("123.46")  # not the 24 Dec nor tomorrow's
    assert figure.committed == Decimal("60.00")  # gym on 17 and 24 Jan; today's is recorded
    assert figure.left == Decimal("2066.54")
    assert figure.days_left == 15
    assert figure.per_day == Decimal("137.76")  # 137.7693 rounded down: stays safe


async def test_forecast_by_hand(app):
    db = app.state.database
    user = await example(db)
    async with db.session() as session:
        answer = await forecast_days(session, user, 16, TODAY)
    rows = [
        (d.date, d.income, d.expenses, d.running_income, d.running_expenses, d.balance)
        for d in answer.days
    ]
    assert rows == [
        (date(2031, 1, 15), Decimal(250), Decimal(0), Decimal(250), Decimal(0), Decimal(250)),
        (date(2031, 1, 17), Decimal(0), Decimal(30), Decimal(250), Decimal(30), Decimal(220)),
        (date(2031, 1, 24), Decimal(0), Decimal(30), Decimal(250), Decimal(60), Decimal(190)),
    ]
    assert [e.description for e in answer.days[0].entries] == ["freelance"]


async def test_routes_answer_and_check_days(client, alice):
    made = await client.post(
        "/api/recurring/",
        json={"kind": "expense", "category": "gym", "amount": "30", "rrule": "FREQ=DAILY"},
        headers=alice,
    )
    assert made.status_code == 201
    safe = await client.get("/api/reports/safe-to-spend/", headers=alice)
    assert safe.status_code == 200, safe.text
    body = safe.json()
    assert set(body) == {
        "period_start", "period_end", "currency", "income", "expected_income", "spent",
        "committed", "left", "days_left", "per_day",
    }  # fmt: skip
    # Every day left holds one 30.00 gym: nothing recorded yet, nothing earned.
    assert body["committed"] == 30 * body["days_left"]
    assert body["per_day"] == -30
    forecast = await client.get("/api/reports/forecast/?days=3", headers=alice)
    assert forecast.status_code == 200
    assert [d["running_expenses"] for d in forecast.json()["days"]] == [30, 60, 90]
    for bad in ("0", "367", "x"):
        answer = await client.get(f"/api/reports/forecast/?days={bad}", headers=alice)
        assert answer.status_code == 422 and "days" in answer.json()["message"]
    assert (await client.get("/api/reports/safe-to-spend/")).status_code == 401
