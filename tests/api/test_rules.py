"""/api/rules/ (five routes, by position) and learning: which category imports get."""

from __future__ import annotations

import httpx

from tests.api.test_imports import everything, post_file
from tests.conftest import make_user


async def rule(client: httpx.AsyncClient, headers: dict[str, str], **body: object) -> dict:
    answer = await client.post("/api/rules/", headers=headers, json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def test_five_routes_listed_by_position(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    first = await rule(client, alice, contains="uber", category="transport")
    second = await rule(client, alice, contains="rewe", category="groceries", kind="expense")
    assert (first["position"], second["position"]) == (0, 1)  # appended in order
    assert second["kind"] == "expense" and first["kind"] is None
    moved = await client.patch(f"/api/rules/{second['id']}/", headers=alice, json={"position": 0})
    assert moved.status_code == 200 and moved.json()["position"] == 0
    pushed = await client.put(
        f"/api/rules/{first['id']}/",
        headers=alice,
        json={"contains": "uber", "category": "taxi", "position": 5},
    )
    assert pushed.json()["category"] == "taxi"
    listed = await client.get("/api/rules/", headers=alice)
    assert [r["id"] for r in listed.json()] == [second["id"], first["id"]]
    assert listed.headers["X-Total-Count"] == "2"
    bad = await client.post("/api/rules/", headers=alice, json={"contains": "", "category": "x"})
    assert bad.status_code == 422 and "contains" in bad.text
    bad_kind = await client.post(
        "/api/rules/", headers=alice, json={"contains": "a", "category": "x", "kind": "gift"}
    )
    assert bad_kind.status_code == 422 and "kind" in bad_kind.text
    bob = await make_user(client, "bob")
    assert (await client.get(f"/api/rules/{first['id']}/", headers=bob)).status_code == 404
    assert (await client.delete(f"/api/rules/{first['id']}/", headers=bob)).status_code == 404
    assert (await client.delete(f"/api/rules/{first['id']}/", headers=alice)).status_code == 204
    assert [r["id"] for r in (await client.get("/api/rules/", headers=alice)).json()] == [
        second["id"]
    ]


STATEMENT = (
    "Date,Description,Amount\n"
    "2024-01-02,UBER *TRIP 4X8Q,-23.40\n"
    "2024-01-03,Rewe Markt 1234,-40.00\n"
    "2024-01-04,ACME SALARY JAN,2500.00\n"
    "2024-01-05,KIOSK 77,-2.00\n"
)


async def test_rules_first_match_by_position_and_kind(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    await rule(client, alice, contains="markt", category="shops", position=2)
    await rule(client, alice, contains="REWE", category="groceries", position=1)
    await rule(client, alice, contains="acme", category="salary", kind="income")
    await rule(client, alice, contains="uber", category="wrong-kind", kind="income")
    assert (await post_file(client, alice, "s.csv", STATEMENT.encode())).status_code == 201
    expenses, incomes = await everything(client, alice)
    filed = {e["description"]: e["category"] for e in expenses}
    assert filed == {
        "UBER *TRIP 4X8Q": "other",  # the uber rule is for incomes only
        "Rewe Markt 1234": "groceries",  # case-insensitive; position 1 before 2
        "KIOSK 77": "other",
    }
    assert [i["source"] for i in incomes] == ["salary"]


async def test_a_patch_teaches_the_merchant_and_rules_still_win(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    await post_file(client, alice, "a.csv", STATEMENT.encode())
    expenses, _ = await everything(client, alice)
    uber = next(e for e in expenses if e["description"].startswith("UBER"))
    kiosk = next(e for e in expenses if e["description"].startswith("KIOSK"))
    for entry, category in ((uber, "taxi"), (kiosk, "snacks")):
        answer = await client.patch(
            f"/api/expenses/{entry['id']}/", headers=alice, json={"category": category}
        )
        assert answer.status_code == 200, answer.text
    await rule(client, alice, contains="kiosk", category="news")
    # Another trip: a different reference, the same merchant.
    later = (
        "Date,Description,Amount\n2024-02-02,UBER *TRIP 9ZZ1,-11.00\n2024-02-03,KIOSK 12,-1.00\n"
    )
    await post_file(client, alice, "b.csv", later.encode())
    expenses, _ = await everything(client, alice)
    filed = {e["description"]: e["category"] for e in expenses if e["date"] >= "2024-02-01"}
    assert filed == {"UBER *TRIP 9ZZ1": "taxi", "KIOSK 12": "news"}
    # What Alice taught is hers alone.
    bob = await make_user(client, "bob")
    await post_file(client, bob, "b.csv", later.encode())
    bob_expenses, _ = await everything(client, bob)
    assert {e["category"] for e in bob_expenses} == {"other"}


async def test_an_amount_patch_teaches_nothing(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    await post_file(client, alice, "a.csv", STATEMENT.encode())
    expenses, _ = await everything(client, alice)
    uber = next(e for e in expenses if e["description"].startswith("UBER"))
    await client.patch(f"/api/expenses/{uber['id']}/", headers=alice, json={"amount": "20"})
    later = "Date,Description,Amount\n2024-02-02,UBER *TRIP 9ZZ1,-11.00\n"
    await post_file(client, alice, "b.csv", later.encode())
    expenses, _ = await everything(client, alice)
    assert {e["category"] for e in expenses if e["date"] >= "2024-02-01"} == {"other"}


async def test_a_rule_after_one_at_the_largest_position_stays_there(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    last = await rule(client, alice, contains="a", category="x", position=2**31 - 1)
    after = await rule(client, alice, contains="b", category="y")  # was a 500 on PostgreSQL
    assert after["position"] == last["position"] == 2**31 - 1
    listed = (await client.get("/api/rules/", headers=alice)).json()
    assert [r["id"] for r in listed] == [last["id"], after["id"]]  # ties keep creation order
