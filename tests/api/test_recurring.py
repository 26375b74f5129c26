"""/api/recurring/: the five routes, rules checked, next_date in the user's timezone."""

from datetime import timedelta

import pytest

from core.periods import local_today

FUTURE = "2030-01-10"  # far ahead: next_date no longer depends on the real clock


def rent(**changes: object) -> dict[str, object]:
    return {
        "kind": "expense",
        "category": "rent",
        "amount": "900",
        "description": "flat",
        "rrule": "FREQ=MONTHLY;BYMONTHDAY=3",
        "start": FUTURE,
        **changes,
    }


@pytest.mark.parametrize(
    ("rule", "start", "first"),
    [
        ("FREQ=MONTHLY;BYMONTHDAY=3", "2030-01-10", "2030-02-03"),
        ("FREQ=MONTHLY;BYMONTHDAY=-1", "2030-02-01", "2030-02-28"),  # last day of the month
        ("FREQ=MONTHLY;BYMONTHDAY=31", "2030-02-01", "2030-03-31"),  # no 31 Feb: skipped
        ("FREQ=WEEKLY;BYDAY=FR", "2030-01-01", "2030-01-04"),  # the Friday after a Tuesday
    ],
)
async def test_next_date_follows_the_rule(client, alice, rule, start, first):
    answer = await client.post("/api/recurring/", json=rent(rrule=rule, start=start), headers=alice)
    assert answer.status_code == 201, answer.text
    assert answer.json()["next_date"] == first


async def test_five_routes_and_the_answer_shape(client, alice):
    made = await client.post("/api/recurring/", json=rent(remind_days_before=3), headers=alice)
    body = made.json()
    assert body == {
        "id": body["id"],
        "user_id": body["user_id"],
        "kind": "expense",
        "category": "rent",
        "source": None,
        "amount": 900.0,
        "currency": "EUR",  # the base currency when left out
        "description": "flat",
        "rrule": "FREQ=MONTHLY;BYMONTHDAY=3",
        "start": FUTURE,
        "end": None,
        "remind_days_before": 3,
        "next_date": "2030-02-03",
    }
    url = f"/api/recurring/{body['id']}/"
    assert (await client.get(url, headers=alice)).json() == body
    listed = await client.get("/api/recurring/", headers=alice)
    assert listed.json() == [body] and listed.headers["X-Total-Count"] == "1"
    patched = await client.patch(url, json={"rrule": "FREQ=MONTHLY;BYMONTHDAY=-1"}, headers=alice)
    assert patched.status_code == 200, patched.text
    assert patched.json()["next_date"] == "2030-01-31" and patched.json()["category"] == "rent"
    salary = {
        "kind": "income",
        "source": "salary",
        "amount": "2500",
        "currency": "usd",
        "rrule": "FREQ=MONTHLY;BYMONTHDAY=25",
        "start": FUTURE,
        "end": "2030-03-01",
    }
    replaced = await client.put(url, json=salary, headers=alice)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["source"] == "salary" and replaced.json()["category"] is None
    assert replaced.json()["currency"] == "USD" and replaced.json()["next_date"] == "2030-01-25"
    assert (await client.delete(url, headers=alice)).status_code == 204
    assert (await client.get(url, headers=alice)).status_code == 404


async def test_a_rule_that_is_over_has_no_next_date(client, alice):
    answer = await client.post(
        "/api/recurring/", json=rent(end="2030-02-02", start="2030-01-04"), headers=alice
    )
    assert answer.status_code == 422  # never occurs between start and end
    answer = await client.post(
        "/api/recurring/", json=rent(rrule="FREQ=MONTHLY;BYMONTHDAY=3;COUNT=1"), headers=alice
    )
    assert answer.json()["next_date"] == "2030-02-03"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"rrule": "every month"}, "rrule"),
        ({"rrule": "FREQ=HOURLY"}, "rrule"),
        ({"rrule": "FREQ=MONTHLY;BYMONTHDAY=32"}, "rrule"),
        ({"rrule": ""}, "rrule"),
        ({"category": None}, "category"),
        ({"kind": "income"}, "source"),
        ({"kind": "transfer"}, "kind"),
        ({"amount": "-5"}, "amount"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "KPW"}, "currency"),  # known, but no rate: could not be priced
        ({"start": "10/01/2030"}, "start"),
        ({"end": "2030-01-01"}, "end"),  # before start
        ({"remind_days_before": -1}, "remind_days_before"),
    ],
)
async def test_bad_input_is_422_naming_the_field(client, alice, changes, field):
    answer = await client.post("/api/recurring/", json=rent(**changes), headers=alice)
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["message"], answer.text
    assert (await client.get("/api/recurring/", headers=alice)).json() == []


async def test_another_users_entry_is_404(client, alice, bob):
    made = (await client.post("/api/recurring/", json=rent(), headers=alice)).json()
    url = f"/api/recurring/{made['id']}/"
    assert (await client.get(url, headers=bob)).status_code == 404
    assert (await client.patch(url, json={"amount": "1"}, headers=bob)).status_code == 404
    assert (await client.delete(url, headers=bob)).status_code == 404
    assert (await client.get("/api/recurring/", headers=bob)).json() == []


@pytest.mark.parametrize("timezone", ["Pacific/Auckland", "America/Los_Angeles"])
async def test_next_date_is_today_in_the_users_timezone(client, alice, timezone):
    await client.patch("/api/auth/me/", json={"timezone": timezone}, headers=alice)
    answer = await client.post(
        "/api/recurring/", json=rent(rrule="FREQ=DAILY", start=None), headers=alice
    )
    today = local_today(timezone)
    # The clock may pass midnight between the request and this line.
    assert answer.json()["next_date"] in {
        today.isoformat(),
        (today - timedelta(days=1)).isoformat(),
    }
    assert answer.json()["start"] == answer.json()["next_date"]


async def test_pay_day_is_on_the_user(client, alice):
    assert (await client.get("/api/auth/me/", headers=alice)).json()["pay_day"] == 1
    answer = await client.patch("/api/auth/me/", json={"pay_day": 25}, headers=alice)
    assert answer.status_code == 200 and answer.json()["pay_day"] == 25
    for bad in (0, 32, "x"):
        answer = await client.patch("/api/auth/me/", json={"pay_day": bad}, headers=alice)
        assert answer.status_code == 422 and "pay_day" in answer.json()["message"]
