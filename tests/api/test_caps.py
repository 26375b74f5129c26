"""Review L7: a user holds at most 500 recurring entries and 500 rules (422 naming the
resource past that, however many ask at once), and forecasts and safe-to-spend work
out their calendars off the event loop."""

import asyncio
import threading
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select

from core.exceptions import Invalid
from core.models import RecurringEntry, Rule
from core.models.base import utcnow
from core.planning import service as planning
from core.recurring.schemas import RecurringCreate
from core.recurring.service import MAX_RECURRING, recurring
from core.rules.schemas import RuleCreate
from core.rules.service import MAX_RULES, rules
from tests.core.test_households_contract import user_named

FUTURE = date(2030, 1, 10)


def rent(n: int = 0) -> dict[str, object]:
    return {
        "kind": "expense",
        "category": "rent",
        "amount": "9.50",
        "description": f"bill {n}",
        "rrule": "FREQ=DAILY",
        "start": FUTURE.isoformat(),
    }


def rule(n: int = 0) -> dict[str, object]:
    return {"contains": f"shop {n}", "category": "food"}


async def user_id(app, name: str) -> int:
    async with app.state.database.session() as session:
        return (await user_named(session, name)).id


async def fill_recurring(app, name: str, count: int, rrule: str = "FREQ=DAILY") -> None:
    """`count` recurring entries of `name`, straight into the table (the API is slow
    for hundreds)."""
    owner = await user_id(app, name)
    rows = [
        {
            "user_id": owner,
            "kind": "expense" if n % 3 else "income",
            "name": "bills",
            "amount": Decimal("1.25"),
            "currency": "EUR",
            "description": f"entry {n}",
            "rrule": rrule,
            "start": date(2020, 1, 1),
            "next_date": FUTURE,
            "wake_on": FUTURE,
            "created_at": utcnow(),
        }
        for n in range(count)
    ]
    async with app.state.database.session() as session:
        await session.execute(insert(RecurringEntry), rows)


async def fill_rules(app, name: str, count: int) -> None:
    owner = await user_id(app, name)
    rows = [
        {
            "user_id": owner,
            "contains": f"filled {n}",
            "category": "x",
            "position": n,
            "created_at": utcnow(),
        }
        for n in range(count)
    ]
    async with app.state.database.session() as session:
        await session.execute(insert(Rule), rows)


async def count_of(app, model: type[RecurringEntry] | type[Rule], name: str) -> int:
    owner = await user_id(app, name)
    async with app.state.database.session() as session:
        query = select(func.count()).select_from(model).where(model.user_id == owner)
        return int(await session.scalar(query) or 0)


# Recurring entries


async def test_the_501st_recurring_entry_is_refused_naming_recurring(client, app, alice, bob):
    await fill_recurring(app, "alice", MAX_RECURRING - 1)
    last = await client.post("/api/recurring/", headers=alice, json=rent())
    assert last.status_code == 201, last.text
    refused = await client.post("/api/recurring/", headers=alice, json=rent(1))
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "recurring"
    assert str(MAX_RECURRING) in refused.json()["message"]
    assert await count_of(app, RecurringEntry, "alice") == MAX_RECURRING
    # Another person is not affected; changing one's own entries still works.
    assert (await client.post("/api/recurring/", headers=bob, json=rent())).status_code == 201
    entry = last.json()["id"]
    changed = await client.patch(f"/api/recurring/{entry}/", headers=alice, json={"amount": 10})
    assert changed.status_code == 200
    replaced = await client.put(f"/api/recurring/{entry}/", headers=alice, json=rent(2))
    assert replaced.status_code == 200
    # Deleting one makes room for one.
    assert (await client.delete(f"/api/recurring/{entry}/", headers=alice)).status_code == 204
    assert (await client.post("/api/recurring/", headers=alice, json=rent(3))).status_code == 201


async def test_parallel_creates_never_pass_the_cap(client, app, alice):
    await fill_recurring(app, "alice", MAX_RECURRING - 3)
    answers = await asyncio.gather(
        *(client.post("/api/recurring/", headers=alice, json=rent(n)) for n in range(8))
    )
    assert sorted(a.status_code for a in answers) == [201] * 3 + [422] * 5
    assert await count_of(app, RecurringEntry, "alice") == MAX_RECURRING


async def test_a_refused_entry_leaves_nothing_for_a_commit_to_keep(app, alice):
    """The chat answers a refusal and its unit of work still commits: nothing of the
    refused entry may be in it."""
    await fill_recurring(app, "alice", MAX_RECURRING)
    async with app.state.database.session() as session:
        user = await user_named(session, "alice")
        with pytest.raises(Invalid) as refused:
            await recurring.create(session, user, RecurringCreate.model_validate(rent()))
        assert refused.value.field == "recurring"
    assert await count_of(app, RecurringEntry, "alice") == MAX_RECURRING


# Rules


async def test_the_501st_rule_is_refused_naming_rules(client, app, alice, bob):
    await fill_rules(app, "alice", MAX_RULES - 1)
    assert (await client.post("/api/rules/", headers=alice, json=rule())).status_code == 201
    refused = await client.post("/api/rules/", headers=alice, json=rule(1))
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "rules"
    assert await count_of(app, Rule, "alice") == MAX_RULES
    assert (await client.post("/api/rules/", headers=bob, json=rule())).status_code == 201
    listed = await client.get("/api/rules/?limit=1", headers=alice)
    first = listed.json()[0]["id"]
    assert (await client.delete(f"/api/rules/{first}/", headers=alice)).status_code == 204
    assert (await client.post("/api/rules/", headers=alice, json=rule(2))).status_code == 201


async def test_parallel_rules_never_pass_the_cap(client, app, alice):
    await fill_rules(app, "alice", MAX_RULES - 2)
    answers = await asyncio.gather(
        *(client.post("/api/rules/", headers=alice, json=rule(n)) for n in range(6))
    )
    assert sorted(a.status_code for a in answers) == [201] * 2 + [422] * 4
    assert await count_of(app, Rule, "alice") == MAX_RULES


async def test_a_refused_rule_leaves_nothing_behind(app, alice):
    await fill_rules(app, "alice", MAX_RULES)
    async with app.state.database.session() as session:
        user = await user_named(session, "alice")
        with pytest.raises(Invalid):
            await rules.create(session, user, RuleCreate.model_validate(rule()))
    assert await count_of(app, Rule, "alice") == MAX_RULES


# Forecasts off the loop


@pytest.fixture
def calendar_threads(monkeypatch) -> list[str]:
    """The threads the calendar work ran in (due_between, under every planning figure)."""
    seen: list[str] = []
    real = planning.due_between
    import core.planning.forecast as forecasting

    real_in_forecast = forecasting.due_between

    def watched(*args, **kwargs):
        seen.append(threading.current_thread().name)
        return real(*args, **kwargs)

    def watched_in_forecast(*args, **kwargs):
        seen.append(threading.current_thread().name)
        return real_in_forecast(*args, **kwargs)

    monkeypatch.setattr(planning, "due_between", watched)
    monkeypatch.setattr(forecasting, "due_between", watched_in_forecast)
    return seen


async def test_the_forecast_of_500_daily_entries_runs_off_the_loop(
    client, app, alice, calendar_threads
):
    await fill_recurring(app, "alice", MAX_RECURRING)
    loop_thread = threading.current_thread().name
    answer = await client.get("/api/reports/forecast/?days=366", headers=alice)
    assert answer.status_code == 200
    days = answer.json()["days"]
    assert len(days) == 366 and len(days[0]["entries"]) == MAX_RECURRING
    assert calendar_threads and loop_thread not in calendar_threads


async def test_a_bad_forecast_length_is_still_422(client, alice):
    answer = await client.get("/api/reports/forecast/?days=367", headers=alice)
    assert answer.status_code == 422


async def test_safe_to_spend_runs_its_calendar_off_the_loop(client, app, alice, calendar_threads):
    await fill_recurring(app, "alice", 50, rrule="FREQ=WEEKLY")
    loop_thread = threading.current_thread().name
    assert (await client.get("/api/reports/safe-to-spend/", headers=alice)).status_code == 200
    async with app.state.database.session() as session:
        owner = await user_named(session, "alice")
        many = await planning.safe_to_spend_for(session, [owner.id], datetime.now())
    assert owner.id in many
    assert len(calendar_threads) == 2 and loop_thread not in calendar_threads


async def test_foreign_entries_are_priced_once_per_currency(client, app, alice, monkeypatch):
    from core.currencies import service as currencies

    for n, currency in enumerate(["USD", "USD", "GBP", "USD"]):
        body = {**rent(n), "currency": currency, "rrule": "FREQ=MONTHLY;BYMONTHDAY=1"}
        made = await client.post("/api/recurring/", headers=alice, json=body)
        assert made.status_code == 201, made.text
    asked: list[str] = []
    real = currencies.cross_rate

    async def counted(session, from_currency, to_currency, on):
        asked.append(from_currency)
        return await real(session, from_currency, to_currency, on)

    monkeypatch.setattr(planning, "cross_rate", counted)
    start = FUTURE - timedelta(days=1)
    async with app.state.database.session() as session:
        user = await user_named(session, "alice")
        answer = await planning.forecast_days(session, user, 60, today=start)
    assert sorted(asked) == ["GBP", "USD"]
    amounts = {entry.description: entry.amount for day in answer.days for entry in day.entries}
    assert len(amounts) == 4 and all(amount > 0 for amount in amounts.values())


async def test_the_forecast_as_json_is_the_routes_answer_built_off_the_loop(
    client, app, alice, calendar_threads
):
    import json

    await fill_recurring(app, "alice", 20, rrule="FREQ=WEEKLY")
    routed = await client.get("/api/reports/forecast/?days=60", headers=alice)
    async with app.state.database.session() as session:
        user = await user_named(session, "alice")
        built = await planning.forecast_days_json(session, user, 60)
    assert json.loads(built) == routed.json()
    assert threading.current_thread().name not in calendar_threads
