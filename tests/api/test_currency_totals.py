"""SPEC 5: what adds up counts base amounts and says its currency; the base can change."""

import io
import zipfile
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import delete, select

from core.budgets import alerts
from core.models import Expense, Notification
from tests.api.test_currency_entries import FRIDAY, MONDAY, exact, seed
from tests.support.alerts import without_pace


async def test_a_usd_expense_crossing_an_eur_budgets_80_percent_alerts_once(app, client, alice):
    today = datetime.now(UTC).date()  # alice's timezone is UTC
    await seed(app, {today: {"USD": "1.25"}})
    budget = await client.post(
        "/api/budgets/", json={"category": "food", "limit": 100, "period": "monthly"}, headers=alice
    )
    assert budget.status_code == 201, budget.text

    async def spend(usd: str) -> None:
        answer = await client.post(
            "/api/expenses/",
            json={"category": "Food", "amount": usd, "currency": "USD", "date": str(today)},
            headers=alice,
        )
        assert answer.status_code == 201, answer.text

    async def budget_alerts() -> list[str]:
        found = (await client.get("/api/notifications/", headers=alice)).json()
        return [n["message"] for n in without_pace(found) if n["kind"] == "budget"]

    await spend("75")  # 60 EUR: 60 %, although 75 > 80 % of 100 in USD figures
    assert await budget_alerts() == []
    await spend("35")  # 28 EUR more: 88 %
    assert await budget_alerts() == ["food: 88.00 of 100.00 EUR spent this month (88 %)"]
    await spend("5")  # 92 %: still the one alert
    async with app.state.database.session() as session:
        assert await alerts.sweep(session, datetime.now(UTC)) == 0  # the sweep agrees
    assert len(await budget_alerts()) == 1
    shown = exact(await client.get(f"/api/budgets/{budget.json()['id']}/", headers=alice))
    assert (shown["spent"], shown["remaining"], shown["currency"]) == (
        Decimal("92.00"),
        Decimal("8.00"),
        "EUR",
    )


async def test_the_sweep_counts_base_amounts(app, client, alice):
    today = datetime.now(UTC).date()
    await seed(app, {today: {"JPY": "100"}})
    # Spending first, then a budget it already crossed: the budget's own check
    # alerts; removing the alert leaves the sweep to find the crossing again.
    for amount in ("5000", "4000"):  # 50 + 40 EUR
        await client.post(
            "/api/expenses/",
            json={"category": "taxi", "amount": amount, "currency": "JPY", "date": str(today)},
            headers=alice,
        )
    await client.post(
        "/api/budgets/", json={"category": "taxi", "limit": 100, "period": "weekly"}, headers=alice
    )
    found = (await client.get("/api/notifications/", headers=alice)).json()
    assert [n["message"] for n in found] == ["taxi: 90.00 of 100.00 EUR spent this week (90 %)"]
    async with app.state.database.session() as session:
        await session.execute(delete(Notification))
    async with app.state.database.session() as session:
        assert await alerts.sweep(session, datetime.now(UTC)) == 1  # 9000 JPY would be 9000 %


async def test_changing_the_base_re_expresses_entries_limits_goals_and_reports(app, client, alice):
    today = datetime.now(UTC).date()
    await seed(app, {today: {"USD": "2"}})
    friday, monday = str(FRIDAY), str(MONDAY)
    posts = [
        ("/api/expenses/", {"category": "a", "amount": "100", "currency": "USD", "date": friday}),
        ("/api/expenses/", {"category": "b", "amount": "50", "date": monday}),  # EUR
        ("/api/incomes/", {"source": "c", "amount": "1000", "currency": "JPY", "date": friday}),
        ("/api/budgets/", {"category": "a", "limit": "100", "period": "monthly"}),
        ("/api/goals/", {"target_amount": "200", "saved_amount": "50", "deadline": "2031-12-31"}),
    ]  # fmt: skip
    for path, body in posts:
        assert (await client.post(path, json=body, headers=alice)).status_code == 201
    before = exact(await client.get("/api/expenses/", headers=alice))
    assert sorted(e["base_amount"] for e in before) == [Decimal(50), Decimal(80)]

    answer = await client.patch("/api/auth/me/", json={"currency": "USD"}, headers=alice)
    assert answer.status_code == 200, answer.text
    assert answer.json()["currency"] == "USD"
    expenses = {e["category"]: e for e in exact(await client.get("/api/expenses/", headers=alice))}
    assert (expenses["a"]["base_amount"], expenses["a"]["rate_date"]) == (
        Decimal(100),
        FRIDAY.isoformat(),
    )
    assert (expenses["b"]["amount"], expenses["b"]["currency"]) == (Decimal(50), "EUR")
    assert (expenses["b"]["base_amount"], expenses["b"]["rate_date"]) == (
        Decimal("75.00"),  # 50 EUR at Monday's 1.5
        MONDAY.isoformat(),
    )
    (income,) = exact(await client.get("/api/incomes/", headers=alice))
    assert income["base_amount"] == Decimal("10.00")  # 1000 JPY * 1.25 / 125
    (budget,) = exact(await client.get("/api/budgets/", headers=alice))
    assert (budget["limit"], budget["currency"]) == (Decimal(200), "USD")  # today's 2 USD/EUR
    (goal,) = exact(await client.get("/api/goals/", headers=alice))
    assert (goal["target_amount"], goal["saved_amount"], goal["currency"]) == (
        Decimal(400),
        Decimal(100),
        "USD",
    )
    report = exact(
        await client.get(
            "/api/reports/summary/",
            params={"from": str(FRIDAY), "to": str(MONDAY)},
            headers=alice,
        )
    )
    assert report["currency"] == "USD"
    assert (report["total_expenses"], report["total_income"]) == (Decimal(175), Decimal(10))

    # Back to EUR gives the first figures again.
    assert (
        await client.patch("/api/auth/me/", json={"currency": "EUR"}, headers=alice)
    ).status_code == 200
    again = exact(await client.get("/api/expenses/", headers=alice))
    assert sorted(e["base_amount"] for e in again) == [Decimal(50), Decimal(80)]


async def test_a_base_without_rates_for_every_entry_is_422_and_changes_nothing(
    app, client, alice, bob
):
    await seed(app)
    await client.post(
        "/api/expenses/",
        json={"category": "a", "amount": "10", "currency": "USD", "date": str(FRIDAY)},
        headers=alice,
    )
    answer = await client.patch("/api/auth/me/", json={"currency": "KPW"}, headers=alice)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["field"] == "currency"
    assert (await client.get("/api/auth/me/", headers=alice)).json()["currency"] == "EUR"
    (expense,) = exact(await client.get("/api/expenses/", headers=alice))
    assert expense["base_amount"] == Decimal("8.00")
    # Someone without entries may pick it: nothing needs a rate.
    assert (
        await client.patch("/api/auth/me/", json={"currency": "KPW"}, headers=bob)
    ).status_code == 200


async def test_only_the_users_own_entries_are_re_expressed(app, client, alice, bob):
    await seed(app)
    for headers in (alice, bob):
        await client.post(
            "/api/expenses/",
            json={"category": "a", "amount": "10", "currency": "USD", "date": str(FRIDAY)},
            headers=headers,
        )
    await client.patch("/api/auth/me/", json={"currency": "GBP"}, headers=alice)
    async with app.state.database.session() as session:
        bases = sorted((await session.scalars(select(Expense.base_amount))).all())
    assert bases == [Decimal("6.40"), Decimal("8.00")]  # alice's in GBP, bob's still EUR


async def test_the_export_carries_currency_amount_and_base_amount(app, client, alice):
    await seed(app)
    await client.post(
        "/api/expenses/",
        json={"category": "a", "amount": "1500", "currency": "JPY", "date": str(FRIDAY)},
        headers=alice,
    )
    (row,) = exact(await client.get("/api/export/", headers=alice))["expenses"]
    assert (row["amount"], row["currency"], row["base_amount"], row["rate_date"]) == (
        Decimal(1500),
        "JPY",
        Decimal(12),
        FRIDAY.isoformat(),
    )
    archive = await client.get("/api/export/", params={"format": "csv"}, headers=alice)
    assert archive.status_code == 200, archive.text
    with zipfile.ZipFile(io.BytesIO(archive.content)) as files:
        lines = files.read("expenses.csv").decode().splitlines()
    header = lines[0].split(",")
    values = dict(zip(header, lines[1].split(","), strict=True))
    assert (values["amount"], values["currency"], values["base_amount"]) == (
        "1500.0",
        "JPY",
        "12.0",
    )
