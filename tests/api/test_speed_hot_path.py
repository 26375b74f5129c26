"""What the faster expense routes must keep: alerts, document ids, totals."""

from tests.api.test_documents import PDF, upload
from tests.support.alerts import without_pace


async def alerts(client, headers) -> list[str]:
    answer = await client.get("/api/notifications/", headers=headers)
    return [n["message"] for n in without_pace(answer.json()) if n["kind"] == "budget"]


async def test_alert_made_when_the_budget_check_rides_on_the_insert(client, alice):
    await client.post(
        "/api/budgets/",
        headers=alice,
        json={"category": "Food", "limit": "10.00", "period": "monthly"},
    )
    # Another case than the budget's: the check on the INSERT must ignore case too.
    first = await client.post(
        "/api/expenses/", headers=alice, json={"category": "food", "amount": "8.00"}
    )
    assert first.status_code == 201, first.text
    assert first.json()["document_ids"] == []
    messages = await alerts(client, alice)
    assert len(messages) == 1 and "(80 %)" in messages[0]

    await client.post("/api/expenses/", headers=alice, json={"category": "FOOD", "amount": "2"})
    messages = await alerts(client, alice)
    assert len(messages) == 2 and any("(100 %)" in m for m in messages)


async def test_no_alert_for_a_category_without_budget(client, alice, bob):
    # Bob's budget on the same category name is not Alice's.
    await client.post(
        "/api/budgets/", headers=bob, json={"category": "rent", "limit": "1", "period": "daily"}
    )
    answer = await client.post(
        "/api/expenses/", headers=alice, json={"category": "rent", "amount": "500"}
    )
    assert answer.status_code == 201
    assert await alerts(client, alice) == []


async def test_list_shows_document_ids_only_on_expenses_that_have_them(client, alice):
    ids = []
    for n in range(3):
        answer = await client.post(
            "/api/expenses/",
            headers=alice,
            json={"category": "misc", "amount": f"{n + 1}.50", "date": f"2026-03-0{n + 1}"},
        )
        ids.append(answer.json()["id"])
    uploaded = await upload(client, alice, content=PDF, expense_id=ids[1])
    assert uploaded.status_code == 201, uploaded.text
    document = uploaded.json()

    listed = await client.get("/api/expenses/", headers=alice)
    assert listed.headers["content-type"] == "application/json"
    by_id = {e["id"]: e for e in listed.json()}
    assert by_id[ids[1]]["document_ids"] == [document["document_id"]]
    assert by_id[ids[0]]["document_ids"] == [] and by_id[ids[2]]["document_ids"] == []
    one = await client.get(f"/api/expenses/{ids[1]}/", headers=alice)
    assert one.json()["document_ids"] == [document["document_id"]]
    # Money stays a JSON number, dates stay YYYY-MM-DD.
    assert by_id[ids[0]]["amount"] == 1.5 and by_id[ids[0]]["date"] == "2026-03-01"


async def test_total_counts_the_filtered_rows_not_the_page(client, alice, bob):
    for n in range(5):
        category = "fun" if n % 2 else "food"
        await client.post(
            "/api/expenses/",
            headers=alice,
            json={"category": category, "amount": "1", "date": f"2026-04-0{n + 1}"},
        )
    await client.post("/api/expenses/", headers=bob, json={"category": "food", "amount": "1"})

    page = await client.get("/api/expenses/?limit=2&category=FOOD", headers=alice)
    assert page.headers["X-Total-Count"] == "3" and len(page.json()) == 2
    dated = await client.get("/api/expenses/?limit=1&from=2026-04-02&to=2026-04-04", headers=alice)
    assert dated.headers["X-Total-Count"] == "3"
    assert [e["date"] for e in dated.json()] == ["2026-04-04"]
    beyond = await client.get("/api/expenses/?offset=10", headers=alice)
    assert beyond.json() == [] and beyond.headers["X-Total-Count"] == "5"
