"""GET /api/rates/: {from, to, date, rate, rate_date}; no rate -> 422 naming currency."""

from decimal import Decimal

from tests.core.rates_support import seed_known_rates


async def test_the_rate_of_a_weekend_day_is_fridays_through_eur(app, client, alice):
    await seed_known_rates(app.state.database)
    answer = await client.get(
        "/api/rates/", params={"from": "usd", "to": "GBP", "date": "2024-03-10"}, headers=alice
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body == {
        "from": "USD",
        "to": "GBP",
        "date": "2024-03-10",
        "rate": body["rate"],
        "rate_date": "2024-03-08",
    }
    # 0.85178 / 1.0939, as a JSON number.
    assert Decimal(str(body["rate"])) == Decimal("0.778663497577")


async def test_a_currency_without_a_rate_is_422_naming_currency(app, client, alice):
    await seed_known_rates(app.state.database)
    for params in (
        {"from": "XAU", "to": "EUR", "date": "2024-03-08"},
        {"from": "EUR", "to": "USD", "date": "1998-12-31"},  # before the first USD day
    ):
        answer = await client.get("/api/rates/", params=params, headers=alice)
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"][0]["field"] == "currency"


async def test_bad_query_values_are_422_naming_the_field(app, client, alice):
    await seed_known_rates(app.state.database)
    cases = {
        "date": {"from": "USD", "to": "EUR", "date": "08/03/2024"},
        "from": {"from": "US", "to": "EUR", "date": "2024-03-08"},
        "to": {"from": "USD", "date": "2024-03-08"},
    }
    for field, params in cases.items():
        answer = await client.get("/api/rates/", params=params, headers=alice)
        assert answer.status_code == 422, answer.text
        assert field in answer.json()["message"]


async def test_rates_need_a_signed_in_user(client):
    answer = await client.get("/api/rates/", params={"from": "USD", "to": "EUR"})
    assert answer.status_code == 401
