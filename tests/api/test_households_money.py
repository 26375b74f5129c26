"""Households (SPEC 8, 5): the shared summary in the household's currency with
`by_member`, and household budgets: shared spending of all members, alerts to each
member once and one post for the group, from an expense and from the sweep."""

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import delete, select

from core.models import Expense, HouseholdChatPost, Income, Notification, User
from core.periods import local_today
from scheduler.jobs import run_job
from tests.api.test_households import household_of_two, ids
from tests.conftest import make_user

DAY = "2026-03-10"


def money(value) -> Decimal:
    return Decimal(str(value))


async def spend(client, headers, amount, category="food", **extra) -> dict:
    answer = await client.post(
        "/api/expenses/",
        headers=headers,
        json={"category": category, "amount": amount, **extra},
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_summary_converts_each_members_shared_entries_at_their_dates_rate(client, alice, bob):
    # alice's household is in EUR; bob keeps his books in USD.
    await client.patch("/api/auth/me/", headers=bob, json={"currency": "USD"})
    household_id = await household_of_two(client, alice, bob)
    shared = {"household_id": household_id, "date": DAY}
    await spend(client, alice, "12.50", **shared)
    await spend(client, alice, "2.25", category="Rent", **shared)
    await spend(client, bob, "20.00", **shared)  # in USD, his base
    await spend(client, bob, "4.00", category="rent", currency="EUR", **shared)
    await spend(client, bob, "1000", date=DAY)  # his own: not the household's
    await client.post(
        "/api/incomes/",
        headers=bob,
        json={"source": "refund", "amount": "30.00", **shared},
    )
    # What 20 USD and 30 USD are in EUR on that day, priced the way every entry is.
    twenty = await spend(client, alice, "20.00", currency="USD", date=DAY)
    thirty = await client.post(
        "/api/incomes/",
        headers=alice,
        json={"source": "x", "amount": "30.00", "currency": "USD", "date": DAY},
    )
    usd_20 = money(twenty["base_amount"])
    usd_30 = money(thirty.json()["base_amount"])
    assert usd_20 != Decimal("20.00")  # a real conversion happened

    answer = await client.get(
        f"/api/households/{household_id}/summary/?from=2026-03-01&to=2026-03-31", headers=bob
    )
    assert answer.status_code == 200, answer.text
    summary = answer.json()
    assert summary["currency"] == "EUR"
    assert (summary["from"], summary["to"]) == ("2026-03-01", "2026-03-31")
    assert money(summary["total_expenses"]) == Decimal("18.75") + usd_20
    assert money(summary["total_income"]) == usd_30
    assert money(summary["net"]) == usd_30 - Decimal("18.75") - usd_20
    categories = {c["category"].lower(): money(c["total"]) for c in summary["by_category"]}
    assert categories == {"food": Decimal("12.50") + usd_20, "rent": Decimal("6.25")}
    members = {m["username"]: money(m["total"]) for m in summary["by_member"]}
    assert members == {"alice": Decimal("14.75"), "bob": Decimal("4.00") + usd_20}
    assert [m["username"] for m in summary["by_member"]] == sorted(
        members, key=lambda name: -members[name]
    )
    # alice sees the same figures.
    same = await client.get(
        f"/api/households/{household_id}/summary/?from=2026-03-01&to=2026-03-31", headers=alice
    )
    assert same.json() == summary
    empty = await client.get(
        f"/api/households/{household_id}/summary/?from=2026-04-01&to=2026-04-30", headers=alice
    )
    assert money(empty.json()["total_expenses"]) == 0
    assert {m["username"]: m["total"] for m in empty.json()["by_member"]} == {"alice": 0, "bob": 0}


# Threshold alerts only: a pace alert may come too, depending on today's day of month.
async def notes(app) -> list[tuple[str, str]]:
    async with app.state.database.session() as session:
        query = (
            select(User.username, Notification.message)
            .join(User, User.id == Notification.user_id)
            .where(Notification.dedupe_key.like("budget:%"))
            .order_by(Notification.id)
        )
        return [(u, m) for u, m in (await session.execute(query)).all()]


async def posts(app) -> list[tuple[int, str, str]]:
    async with app.state.database.session() as session:
        query = (
            select(
                HouseholdChatPost.household_id,
                HouseholdChatPost.message,
                HouseholdChatPost.dedupe_key,
            )
            .where(HouseholdChatPost.dedupe_key.like("budget:%"))
            .order_by(HouseholdChatPost.id)
        )
        return [tuple(row) for row in (await session.execute(query)).all()]


async def test_a_household_budget_counts_every_members_shared_spending_and_alerts_each_once(
    app, client, alice, bob
):
    carol = await make_user(client, "carol")
    household_id = await household_of_two(client, alice, bob)
    budget = await client.post(
        "/api/budgets/",
        headers=alice,
        json={"category": "food", "limit": 100, "period": "monthly", "household_id": household_id},
    )
    assert budget.status_code == 201, budget.text
    budget_id = budget.json()["id"]
    shared = {"household_id": household_id}
    await spend(client, alice, "50.00", **shared)
    await spend(client, bob, "60.00")  # bob's own spending does not count
    await spend(client, carol, "90.00")  # nor a stranger's
    assert await notes(app) == []
    await spend(client, bob, "30.00", category="FOOD", **shared)  # 80 %

    alert = "Flat 3 · food: 80.00 of 100.00 EUR spent this month (80 %)"
    assert sorted(await notes(app)) == [("alice", alert), ("bob", alert)]
    [post] = await posts(app)
    assert post[:2] == (household_id, alert)
    await spend(client, bob, "1.00", **shared)  # 81 %: nothing new
    assert len(await notes(app)) == 2 and len(await posts(app)) == 1

    listed = (await client.get(f"/api/households/{household_id}/budgets/", headers=bob)).json()
    assert [(b["id"], b["spent"], b["remaining"], b["currency"]) for b in listed] == [
        (budget_id, 81, 19, "EUR")
    ]
    assert (await client.get("/api/budgets/", headers=bob)).json() == []

    await spend(client, alice, "19.00", **shared)  # 100 %
    full = [m for u, m in await notes(app) if "(100 %)" in m]
    assert len(full) == 2 and len(await posts(app)) == 2


async def test_a_shared_expense_in_another_currency_counts_in_the_households(client, alice, bob):
    await client.patch("/api/auth/me/", headers=bob, json={"currency": "USD"})
    household_id = await household_of_two(client, alice, bob)
    today = local_today("UTC").isoformat()
    await client.post(
        "/api/budgets/",
        headers=bob,
        json={"category": "food", "limit": 500, "period": "monthly", "household_id": household_id},
    )
    await spend(client, bob, "20.00", date=today, household_id=household_id)  # USD
    in_eur = await spend(client, alice, "20.00", currency="USD", date=today)  # her own
    [budget] = (await client.get(f"/api/households/{household_id}/budgets/", headers=alice)).json()
    assert budget["currency"] == "EUR"
    assert money(budget["spent"]) == money(in_eur["base_amount"])


async def test_the_sweep_alerts_household_budgets_to_each_member_once(app, client, alice, bob):
    household_id = await household_of_two(client, alice, bob)
    alice_id, bob_id = await ids(client, alice), await ids(client, bob)
    made = await client.post(
        "/api/budgets/",
        headers=alice,
        json={"category": "food", "limit": 100, "period": "monthly", "household_id": household_id},
    )
    assert made.status_code == 201
    # Spending written in bulk (as an import would), no alert on the way in.
    day = date(2031, 5, 28)  # late: no pace alert, only the threshold
    async with app.state.database.session() as session:
        session.add_all(
            [
                Expense(user_id=alice_id, household_id=household_id, category="food",
                        amount=Decimal("45"), date=day),
                Expense(user_id=bob_id, household_id=household_id, category="Food",
                        amount=Decimal("40"), date=day),
                Expense(user_id=bob_id, category="food", amount=Decimal("99"), date=day),
            ]
        )  # fmt: skip
        await session.commit()
    assert await notes(app) == []
    now = datetime(2031, 5, 28, 12, tzinfo=UTC)
    db = app.state.database
    assert await run_job("budget-sweep", db, None, now) == 2
    alert = "Flat 3 · food: 85.00 of 100.00 EUR spent this month (85 %)"
    assert sorted(await notes(app)) == [("alice", alert), ("bob", alert)]
    assert [p[:2] for p in await posts(app)] == [(household_id, alert)]
    assert await run_job("budget-sweep", db, None, now) == 0
    assert len(await notes(app)) == 2 and len(await posts(app)) == 1


async def test_a_personal_expense_pays_nothing_for_households(app, client, alice, bob):
    """The personal hot path keeps its statements when its owner shares a household
    that has budgets in the same category."""
    from sqlalchemy import event

    engine = app.state.database.engine.sync_engine
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    await client.post(
        "/api/budgets/", headers=alice, json={"category": "food", "limit": 100, "period": "monthly"}
    )
    await spend(client, alice, "1.00")  # warm: the first request loads what it caches
    event.listen(engine, "before_cursor_execute", count)
    try:
        await spend(client, alice, "1.00")
        alone = len(statements)
        household_id = await household_of_two(client, alice, bob)
        shared_budget = await client.post(
            "/api/budgets/",
            headers=alice,  # hers, like the personal one: it counts only shared spending
            json={
                "category": "food",
                "limit": 9,
                "period": "monthly",
                "household_id": household_id,
            },
        )
        assert shared_budget.status_code == 201
        statements.clear()
        await spend(client, alice, "1.00")
        assert len(statements) == alone
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_a_shared_entry_that_cannot_be_priced_in_the_households_currency_is_refused(
    client, alice, bob
):
    # XAF has no ECB rate: bob may keep his own books in it, but not share them in EUR.
    assert (await client.patch("/api/auth/me/", headers=bob, json={"currency": "XAF"})).is_success
    household_id = await household_of_two(client, alice, bob)
    shared = {"household_id": household_id}
    for path, body in (
        ("/api/expenses/", {"category": "food", "amount": "500", **shared}),
        ("/api/incomes/", {"source": "gift", "amount": "500", **shared}),
    ):
        refused = await client.post(path, headers=bob, json=body)
        assert refused.status_code == 422, refused.text
        assert "currency" in refused.text and "XAF" in refused.text and "EUR" in refused.text
        own = await client.post(path, headers=bob, json={**body, "household_id": None})
        assert own.status_code == 201  # his own entry needs no rate
        moved = await client.patch(f"{path}{own.json()['id']}/", headers=bob, json=shared)
        assert moved.status_code == 422 and "currency" in moved.text
    await spend(client, alice, "7.00", **shared)  # in the household's own currency
    for path in ("expenses", "incomes"):
        listed = await client.get(f"/api/households/{household_id}/{path}/", headers=alice)
        assert [e["currency"] for e in listed.json()] == (["EUR"] if path == "expenses" else [])
    summary = await client.get(f"/api/households/{household_id}/summary/", headers=alice)
    assert summary.status_code == 200 and money(summary.json()["total_expenses"]) == money(7)


async def test_a_summary_over_an_entry_without_a_rate_names_the_currency_instead_of_failing(
    app, client, alice, bob
):
    """Entries written around the API (a bulk load, an older version) may lack a rate
    into the household's currency: the summary answers 422 as balances do, never a
    500 and never a total that silently leaves them out."""
    household_id = await household_of_two(client, alice, bob)
    bob_id = await ids(client, bob)
    today = local_today("UTC")
    for model in (Expense, Income):
        async with app.state.database.session() as session:
            values = {"category": "food"} if model is Expense else {"source": "gift"}
            session.add(
                model(user_id=bob_id, household_id=household_id, amount=Decimal("500"),
                      currency="XAF", date=today, **values)
            )  # fmt: skip
            await session.commit()
        answer = await client.get(f"/api/households/{household_id}/summary/", headers=alice)
        assert answer.status_code == 422, answer.text
        assert "currency" in answer.text and "EUR" in answer.text
        async with app.state.database.session() as session:
            await session.execute(delete(model).where(model.currency == "XAF"))
            await session.commit()
    answer = await client.get(f"/api/households/{household_id}/summary/", headers=alice)
    assert answer.status_code == 200
