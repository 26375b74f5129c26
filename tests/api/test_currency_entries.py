"""SPEC 5 through the API: entries keep their currency and carry base_amount and rate_date."""

import json
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select

from core.currencies.ecb import DailyRate
from core.currencies.service import ensure_rates_loaded
from core.models import Expense
from tests.api.test_households import household_of_two
from tests.conftest import make_user
from tests.core.rates_support import set_rates

# Far from the shipped ECB history and from the other tests' days: these rates are
# exactly what the tests set.
FRIDAY = date(2031, 3, 7)
SUNDAY = date(2031, 3, 9)
MONDAY = date(2031, 3, 10)
RATES = {
    FRIDAY: {"USD": "1.25", "GBP": "0.8", "JPY": "125", "KWD": "0.3"},
    MONDAY: {"USD": "1.5", "GBP": "0.9", "JPY": "150", "KWD": "0.4"},
}


def exact(answer: httpx.Response) -> Any:
    """The body with every JSON number as a Decimal, as it was written on the wire."""
    return json.loads(answer.text, parse_float=Decimal, parse_int=Decimal)


async def seed(app: Any, extra: dict[date, dict[str, str]] | None = None) -> None:
    """The shipped history (for today's rates), then the days above on top."""
    async with app.state.database.session() as session:
        await ensure_rates_loaded(session)
    days = {**RATES, **(extra or {})}
    await set_rates(
        app.state.database,
        [DailyRate(c, day, Decimal(v)) for day, by in days.items() for c, v in by.items()],
    )


async def post(client: httpx.AsyncClient, headers: dict[str, str], body: str) -> Any:
    # The body as raw JSON text: the amounts never pass through a Python float here.
    answer = await client.post(
        "/api/expenses/", content=body, headers={**headers, "Content-Type": "application/json"}
    )
    assert answer.status_code == 201, answer.text
    return exact(answer)


async def test_jpy_eur_and_kwd_amounts_are_exact_to_their_minor_units(app, client, alice):
    await seed(app)
    cases = [
        ("1500", "JPY", "12.00"),  # 1500 / 125
        ("12345678901", "JPY", "98765431.21"),  # 12345678901 / 125 = 98765431.208
        ("0.01", "EUR", "0.01"),
        ("9999999999.99", "EUR", "9999999999.99"),
        ("0.001", "KWD", "0.00"),  # 0.001 / 0.3 = 0.00333 EUR
        ("1234567.891", "KWD", "4115226.30"),  # / 0.3 = 4115226.303
    ]
    for amount, currency, base in cases:
        body = await post(
            client,
            alice,
            f'{{"category": "x", "amount": {amount}, "currency": "{currency.lower()}",'
            f' "date": "{FRIDAY}"}}',
        )
        assert (body["amount"], body["currency"]) == (Decimal(amount), currency)
        assert body["base_amount"] == Decimal(base), (amount, currency)
        assert body["rate_date"] == FRIDAY.isoformat()
        stored = exact(await client.get(f"/api/expenses/{body['id']}/", headers=alice))
        assert stored["amount"] == Decimal(amount) and stored["base_amount"] == Decimal(base)
    # And in the table itself, as Decimals, on this database.
    async with app.state.database.session() as session:
        rows = (await session.execute(select(Expense.amount, Expense.currency))).all()
    assert sorted((str(a.normalize()), c) for a, c in rows) == sorted(
        (str(Decimal(a).normalize()), c) for a, c, _ in cases
    )


async def test_more_decimals_than_the_currency_has_is_422_naming_amount(app, client, alice):
    await seed(app)
    for amount, currency in (("1500.5", "JPY"), ("1.234", "EUR"), ("1.2345", "KWD")):
        answer = await client.post(
            "/api/expenses/",
            content=f'{{"category": "x", "amount": {amount}, "currency": "{currency}"}}',
            headers={**alice, "Content-Type": "application/json"},
        )
        assert answer.status_code == 422, (amount, currency, answer.text)
        assert answer.json()["detail"][0]["field"] == "amount"
    # The base currency is checked too when the entry leaves `currency` out.
    answer = await client.post(
        "/api/incomes/", json={"source": "x", "amount": "1.234"}, headers=alice
    )
    assert answer.status_code == 422, answer.text
    assert (await client.get("/api/expenses/", headers=alice)).json() == []


async def test_a_weekend_entry_uses_fridays_rate_and_says_so(app, client, alice):
    await seed(app)
    body = await post(
        client,
        alice,
        f'{{"category": "x", "amount": 20, "currency": "USD", "date": "{SUNDAY}"}}',
    )
    assert body["base_amount"] == Decimal("16.00")  # 20 / 1.25, Friday's
    assert body["rate_date"] == FRIDAY.isoformat()
    # Moved to the Monday: priced again at Monday's rate.
    moved = exact(
        await client.patch(
            f"/api/expenses/{body['id']}/", json={"date": str(MONDAY)}, headers=alice
        )
    )
    assert (moved["base_amount"], moved["rate_date"]) == (Decimal("13.33"), MONDAY.isoformat())


async def test_usd_to_gbp_is_eurs_triangle(app, client, alice):
    await seed(app)
    assert (
        await client.patch("/api/auth/me/", json={"currency": "gbp"}, headers=alice)
    ).status_code == 200
    body = await post(
        client, alice, f'{{"category": "x", "amount": 100, "currency": "USD", "date": "{FRIDAY}"}}'
    )
    # 100 USD = 80 EUR = 64 GBP: 100 * 0.8 / 1.25.
    assert body["base_amount"] == Decimal("64.00")
    income = await client.post(
        "/api/incomes/",
        json={"source": "pay", "amount": "90", "currency": "USD", "date": str(MONDAY)},
        headers=alice,
    )
    assert income.status_code == 201, income.text
    assert exact(income)["base_amount"] == Decimal("54.00")  # 90 * 0.9 / 1.5
    rate = exact(
        await client.get(
            "/api/rates/", params={"from": "USD", "to": "GBP", "date": str(FRIDAY)}, headers=alice
        )
    )
    assert rate["rate"] == Decimal("0.64")


async def test_a_currency_without_a_rate_is_422_naming_currency(app, client, alice):
    await seed(app)
    for currency, day in (("KPW", FRIDAY), ("USD", date(1998, 12, 31)), ("XYZ", FRIDAY)):
        answer = await client.post(
            "/api/expenses/",
            json={"category": "x", "amount": "10", "currency": currency, "date": str(day)},
            headers=alice,
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"][0]["field"] == "currency"
    assert (await client.get("/api/expenses/", headers=alice)).json() == []


async def test_an_entry_without_currency_is_in_the_base_and_costs_no_rate(app, client, alice):
    body = await post(client, alice, f'{{"category": "x", "amount": 7.5, "date": "{SUNDAY}"}}')
    assert (body["currency"], body["base_amount"], body["rate_date"]) == (
        "EUR",
        Decimal("7.5"),
        SUNDAY.isoformat(),
    )


def too_large(answer: httpx.Response, field: str) -> bool:
    if answer.status_code != 422:
        return False
    [problem] = answer.json()["detail"]
    return bool(problem["field"] == field and "too large" in problem["msg"])


async def test_an_amount_too_large_once_converted_is_422_and_changes_nothing(
    app, client, alice, bob
):
    """Amounts stay under 10^12 in every column; one in GBP can be over it in EUR
    (0.8 GBP a euro on FRIDAY): a clear 422, never a database error."""
    await seed(app)
    entry = {"category": "x", "currency": "GBP", "date": str(FRIDAY)}
    over = await client.post(
        "/api/expenses/", json={**entry, "amount": "800000000000"}, headers=alice
    )
    assert too_large(over, "amount"), over.text
    under = await client.post(
        "/api/expenses/", json={**entry, "amount": "799999999999.99"}, headers=alice
    )
    assert under.status_code == 201 and exact(under)["base_amount"] == Decimal("999999999999.99")
    edited = await client.patch(
        f"/api/expenses/{under.json()['id']}/", json={"amount": "900000000000"}, headers=alice
    )
    assert too_large(edited, "amount"), edited.text
    [kept] = (await client.get("/api/expenses/", headers=alice)).json()
    assert Decimal(str(kept["amount"])) == Decimal("799999999999.99")
    recurring = {"kind": "expense", "category": "rent", "amount": "900000000000",
                 "currency": "GBP", "rrule": "FREQ=MONTHLY"}  # fmt: skip
    answer = await client.post("/api/recurring/", json=recurring, headers=alice)
    assert too_large(answer, "amount"), answer.text
    assert (await client.get("/api/recurring/", headers=alice)).json() == []

    # A new base re-expresses every entry (at its date's rate) and goal (at today's):
    # one that would not fit refuses the change, naming currency, and nothing moves.
    big = {"category": "x", "amount": "999999999999", "date": str(FRIDAY)}
    assert (await client.post("/api/expenses/", json=big, headers=bob)).status_code == 201
    rebased = await client.patch("/api/auth/me/", json={"currency": "USD"}, headers=bob)
    assert too_large(rebased, "currency"), rebased.text
    me = (await client.get("/api/auth/me/", headers=bob)).json()
    [mine] = (await client.get("/api/expenses/", headers=bob)).json()
    assert (me["currency"], Decimal(str(mine["base_amount"]))) == ("EUR", Decimal("999999999999"))
    carol = await make_user(client, "carol")
    goal = {"target_amount": "999999999999", "description": "moon", "deadline": "2040-01-01"}
    assert (await client.post("/api/goals/", json=goal, headers=carol)).status_code == 201
    rebased = await client.patch("/api/auth/me/", json={"currency": "IDR"}, headers=carol)
    assert too_large(rebased, "currency"), rebased.text
    [kept_goal] = (await client.get("/api/goals/", headers=carol)).json()
    assert Decimal(str(kept_goal["target_amount"])) == Decimal("999999999999")


async def test_a_shared_entry_too_large_in_the_households_currency_is_refused(
    app, client, alice, bob
):
    await seed(app)
    household_id = await household_of_two(client, alice, bob)  # alice's: in EUR
    assert (await client.patch("/api/auth/me/", json={"currency": "GBP"}, headers=bob)).is_success
    entry = {"category": "x", "amount": "900000000000", "date": str(FRIDAY)}  # bob's GBP
    shared = await client.post(
        "/api/expenses/", json={**entry, "household_id": household_id}, headers=bob
    )
    assert too_large(shared, "amount"), shared.text
    own = await client.post("/api/expenses/", json=entry, headers=bob)
    assert own.status_code == 201  # fits in his own GBP
    moved = await client.patch(
        f"/api/expenses/{own.json()['id']}/", json={"household_id": household_id}, headers=bob
    )
    assert too_large(moved, "amount"), moved.text
    listed = await client.get(f"/api/households/{household_id}/expenses/", headers=alice)
    assert listed.json() == []
