from datetime import date, timedelta
from decimal import Decimal

import pytest

from core.periods import local_today, period_range


async def spend(client, headers, category, amount, day):
    answer = await client.post(
        "/api/expenses/",
        headers=headers,
        json={"category": category, "amount": amount, "date": day.isoformat()},
    )
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize("period", ["daily", "weekly", "monthly", "yearly"])
async def test_budget_spent_counts_only_the_current_period_and_category(client, alice, period):
    today = local_today("UTC")
    start, end = period_range(period, today)
    await spend(client, alice, "Food", "10.10", start)
    await spend(client, alice, "food", "5.05", end)
    await spend(client, alice, "food", "100", start - timedelta(days=1))  # period before
    await spend(client, alice, "food", "100", end + timedelta(days=1))  # period after
    await spend(client, alice, "rent", "100", today)  # other category
    created = await client.post(
        "/api/budgets/", headers=alice, json={"category": "FOOD", "limit": 20, "period": period}
    )
    assert created.status_code == 201
    budget = created.json()
    assert Decimal(str(budget["spent"])) == Decimal("15.15")
    assert Decimal(str(budget["remaining"])) == Decimal("4.85")
    listed = (await client.get("/api/budgets/", headers=alice)).json()
    assert listed == [budget]


async def test_budget_period_follows_the_users_timezone(client, alice):
    # In Kiritimati (UTC+14) "today" may be tomorrow in UTC; the daily budget counts that day.
    await client.patch("/api/auth/me/", headers=alice, json={"timezone": "Pacific/Kiritimati"})
    their_today = local_today("Pacific/Kiritimati")
    await spend(client, alice, "coffee", "3.00", their_today)
    await spend(client, alice, "coffee", "4.00", their_today - timedelta(days=1))
    budget = await client.post(
        "/api/budgets/", headers=alice, json={"category": "coffee", "limit": 10, "period": "daily"}
    )
    assert budget.json()["spent"] == 3


async def test_overspent_budget_has_negative_remaining(client, alice):
    await spend(client, alice, "fun", "30", local_today("UTC"))
    budget = await client.post(
        "/api/budgets/", headers=alice, json={"category": "fun", "limit": 20, "period": "monthly"}
    )
    assert (budget.json()["spent"], budget.json()["remaining"]) == (30, -10)


async def test_summary_totals_and_categories_in_sql(client, alice):
    await spend(client, alice, "food", "0.10", date(2026, 3, 1))
    await spend(client, alice, "Food", "0.20", date(2026, 3, 31))
    await spend(client, alice, "rent", "700", date(2026, 3, 15))
    await spend(client, alice, "food", "99", date(2026, 4, 1))  # outside
    for amount, day in (("2500", "2026-03-01"), ("0.05", "2026-03-31"), ("1", "2026-02-28")):
        await client.post(
            "/api/incomes/", headers=alice, json={"source": "job", "amount": amount, "date": day}
        )
    answer = await client.get("/api/reports/summary/?from=2026-03-01&to=2026-03-31", headers=alice)
    assert answer.status_code == 200
    report = answer.json(parse_float=Decimal)
    assert report["from"] == "2026-03-01" and report["to"] == "2026-03-31"
    assert report["total_income"] == Decimal("2500.05")
    assert report["total_expenses"] == Decimal("700.30")
    assert report["net"] == Decimal("1799.75")
    assert [(c["category"].lower(), c["total"]) for c in report["by_category"]] == [
        ("rent", Decimal("700")),
        ("food", Decimal("0.30")),
    ]


async def test_summary_defaults_to_the_current_month(client, alice):
    today = local_today("UTC")
    await spend(client, alice, "food", "5", today)
    report = (await client.get("/api/reports/summary/", headers=alice)).json()
    start, end = period_range("monthly", today)
    assert (report["from"], report["to"]) == (start.isoformat(), end.isoformat())
    assert report["total_expenses"] == 5 and report["total_income"] == 0 and report["net"] == -5


async def test_summary_rejects_bad_ranges(client, alice):
    for query in ("from=2026-03-31&to=2026-03-01", "from=2026-02-30", "to=yesterday"):
        answer = await client.get(f"/api/reports/summary/?{query}", headers=alice)
        assert answer.status_code == 422, query


async def test_empty_summary_is_zero(client, alice):
    report = (
        await client.get("/api/reports/summary/?from=2020-01-01&to=2020-01-31", headers=alice)
    ).json()
    assert report["by_category"] == [] and report["net"] == 0
