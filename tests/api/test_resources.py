"""The five routes of expenses, incomes, budgets and goals, and their validation."""

from dataclasses import dataclass
from typing import Any

import pytest


@dataclass(frozen=True)
class Resource:
    path: str
    valid: dict[str, Any]
    change: dict[str, Any]
    invalid: list[tuple[dict[str, Any], str]]  # (body, the field the 422 must name)


RESOURCES = [
    Resource(
        "/api/expenses/",
        {"category": "food", "amount": "12.30", "date": "2026-03-12", "description": "lunch"},
        {"amount": 15, "category": "eating out"},
        [
            ({"category": "food", "amount": 0, "date": "2026-03-12"}, "amount"),
            ({"category": "food", "amount": -1, "date": "2026-03-12"}, "amount"),
            ({"category": "food", "amount": "1.234", "date": "2026-03-12"}, "amount"),
            ({"category": "food", "amount": "1234567890123", "date": "2026-03-12"}, "amount"),
            ({"category": "food", "amount": "abc", "date": "2026-03-12"}, "amount"),
            ({"category": "food", "amount": True, "date": "2026-03-12"}, "amount"),
            ({"category": "", "amount": 1, "date": "2026-03-12"}, "category"),
            ({"category": "x" * 65, "amount": 1, "date": "2026-03-12"}, "category"),
            ({"category": "food", "amount": 1, "date": "2025-02-30"}, "date"),
            ({"category": "food", "amount": 1, "date": "12/03/2026"}, "date"),
            ({"category": "food", "amount": 1, "date": 1700000000}, "date"),
            ({"category": "food", "amount": 1, "description": "d" * 1001}, "description"),
            ({"amount": 1}, "category"),
        ],
    ),
    Resource(
        "/api/incomes/",
        {"source": "salary", "amount": 2500, "date": "2026-03-01", "description": ""},
        {"source": "bonus"},
        [
            ({"source": "salary", "amount": 0}, "amount"),
            ({"source": "", "amount": 1}, "source"),
            ({"source": "salary", "amount": 1, "date": "2026-13-01"}, "date"),
        ],
    ),
    Resource(
        "/api/budgets/",
        {"category": "food", "limit": "400.00", "period": "monthly"},
        {"period": "weekly", "limit": 100},
        [
            ({"category": "food", "limit": 100, "period": "fortnightly"}, "period"),
            ({"category": "food", "limit": 0, "period": "daily"}, "limit"),
            ({"category": "food", "period": "daily"}, "limit"),
        ],
    ),
    Resource(
        "/api/goals/",
        {
            "target_amount": 1500,
            "saved_amount": "0",
            "description": "trip",
            "deadline": "2027-06-01",
        },
        {"saved_amount": "250.25"},
        [
            ({"target_amount": 0, "deadline": "2027-06-01"}, "target_amount"),
            ({"target_amount": 10, "saved_amount": -1, "deadline": "2027-06-01"}, "saved_amount"),
            ({"target_amount": 10, "deadline": "soon"}, "deadline"),
        ],
    ),
]
IDS = [r.path.strip("/").split("/")[-1] for r in RESOURCES]


def same_values(sent: dict[str, Any], got: dict[str, Any]) -> None:
    from decimal import Decimal

    for key, value in sent.items():
        if isinstance(value, (int, float, str)) and key in {
            "amount",
            "limit",
            "target_amount",
            "saved_amount",
        }:
            assert Decimal(str(got[key])) == Decimal(str(value)), key
        else:
            assert got[key] == value, key


@pytest.mark.parametrize("resource", RESOURCES, ids=IDS)
async def test_create_get_replace_patch_delete(client, alice, resource):
    created = await client.post(
        resource.path, headers=alice, json={**resource.valid, "user_id": 999}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    same_values(resource.valid, body)
    me = (await client.get("/api/auth/me/", headers=alice)).json()
    assert body["user_id"] == me["id"]  # user_id in the body is ignored
    url = f"{resource.path}{body['id']}/"

    assert (await client.get(url, headers=alice)).json() == body

    patched = await client.patch(url, headers=alice, json=resource.change)
    assert patched.status_code == 200, patched.text
    same_values({**resource.valid, **resource.change}, patched.json())
    assert (await client.get(url, headers=alice)).json() == patched.json()

    replaced = await client.put(url, headers=alice, json=resource.valid)
    assert replaced.status_code == 200
    same_values(resource.valid, replaced.json())

    assert (await client.delete(url, headers=alice)).status_code == 204
    assert (await client.get(url, headers=alice)).status_code == 404
    assert (await client.delete(url, headers=alice)).status_code == 404


@pytest.mark.parametrize("resource", RESOURCES, ids=IDS)
async def test_invalid_bodies_are_422_naming_the_field_and_change_nothing(client, alice, resource):
    created = (await client.post(resource.path, headers=alice, json=resource.valid)).json()
    url = f"{resource.path}{created['id']}/"
    for body, field in resource.invalid:
        answer = await client.post(resource.path, headers=alice, json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert field in [d["field"] for d in answer.json()["detail"]], (body, answer.json())
        answer = await client.put(url, headers=alice, json=body)
        assert answer.status_code == 422, (body, answer.text)
    for key in resource.valid:
        answer = await client.patch(url, headers=alice, json={key: None})
        assert answer.status_code == 422 or key in {"description", "date", "saved_amount"}, key
    listed = await client.get(resource.path, headers=alice)
    assert listed.headers["X-Total-Count"] == "1"
    assert (await client.get(url, headers=alice)).json() == created


@pytest.mark.parametrize("resource", RESOURCES, ids=IDS)
async def test_patch_with_nothing_valid_to_change_keeps_the_object(client, alice, resource):
    created = (await client.post(resource.path, headers=alice, json=resource.valid)).json()
    url = f"{resource.path}{created['id']}/"
    answer = await client.patch(url, headers=alice, json={"id": 77, "user_id": 5, "nonsense": 1})
    assert answer.status_code == 200
    assert answer.json() == created


async def test_expense_date_defaults_to_today_in_the_users_timezone(client, alice):
    from core.periods import local_today

    await client.patch("/api/auth/me/", headers=alice, json={"timezone": "Pacific/Kiritimati"})
    answer = await client.post("/api/expenses/", headers=alice, json={"category": "x", "amount": 1})
    assert answer.json()["date"] == local_today("Pacific/Kiritimati").isoformat()


async def test_lists_are_newest_first_and_paged_with_total(client, alice):
    dates = ["2026-01-05", "2026-01-07", "2026-01-06", "2026-01-07"]
    ids = []
    for day in dates:
        answer = await client.post(
            "/api/expenses/", headers=alice, json={"category": "c", "amount": 1, "date": day}
        )
        ids.append(answer.json()["id"])
    listed = await client.get("/api/expenses/", headers=alice)
    assert [e["id"] for e in listed.json()] == [ids[3], ids[1], ids[2], ids[0]]
    assert listed.headers["X-Total-Count"] == "4"
    page = await client.get("/api/expenses/?limit=2&offset=1", headers=alice)
    assert [e["id"] for e in page.json()] == [ids[1], ids[2]]
    assert page.headers["X-Total-Count"] == "4"
    beyond = await client.get("/api/expenses/?offset=10", headers=alice)
    assert beyond.json() == [] and beyond.headers["X-Total-Count"] == "4"
    for bad in ("limit=0", "limit=1001", "offset=-1", "limit=abc"):
        assert (await client.get(f"/api/expenses/?{bad}", headers=alice)).status_code == 422


async def test_expense_filters_by_inclusive_dates_and_category(client, alice):
    rows = [
        ("Food", "2026-02-01"),
        ("food", "2026-02-28"),
        ("rent", "2026-02-15"),
        ("food", "2026-03-01"),
    ]
    for category, day in rows:
        await client.post(
            "/api/expenses/", headers=alice, json={"category": category, "amount": 2, "date": day}
        )
    feb = await client.get("/api/expenses/?from=2026-02-01&to=2026-02-28", headers=alice)
    assert sorted(e["date"] for e in feb.json()) == ["2026-02-01", "2026-02-15", "2026-02-28"]
    food = await client.get("/api/expenses/?category=FOOD&to=2026-02-28", headers=alice)
    assert [e["date"] for e in food.json()] == ["2026-02-28", "2026-02-01"]
    assert food.headers["X-Total-Count"] == "2"
    bad = await client.get("/api/expenses/?from=2026-03-01&to=2026-02-01", headers=alice)
    assert bad.status_code == 422
    assert (await client.get("/api/expenses/?from=2026-02-30", headers=alice)).status_code == 422


async def test_income_filters_by_dates(client, alice):
    for day in ("2026-02-01", "2026-03-01"):
        await client.post(
            "/api/incomes/", headers=alice, json={"source": "s", "amount": 1, "date": day}
        )
    march = await client.get("/api/incomes/?from=2026-03-01", headers=alice)
    assert [i["date"] for i in march.json()] == ["2026-03-01"]


async def test_money_is_exact_at_the_limits(client, alice):
    for amount in ("999999999999.99", "0.01", "0.10", "1234.5"):
        created = await client.post(
            "/api/expenses/", headers=alice, json={"category": "x", "amount": amount}
        )
        assert created.status_code == 201, created.text
        # Parse the JSON number as a decimal: the digits on the wire are exact.
        from decimal import Decimal

        assert Decimal(created.json(parse_float=Decimal)["amount"]) == Decimal(amount)
        assert f'"amount":{Decimal(amount).normalize():f}' in created.text.replace(" ", "")


@pytest.mark.parametrize("value", [0, 1, "no", "yes"])
async def test_budget_rollover_is_a_strict_boolean(client, alice, value):
    body = {"category": "food", "limit": 100, "period": "monthly", "rollover": value}
    answer = await client.post("/api/budgets/", headers=alice, json=body)
    assert answer.status_code == 422, answer.text
    assert "rollover" in answer.text
    assert (await client.get("/api/budgets/", headers=alice)).json() == []
