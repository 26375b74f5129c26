"""Another user's objects are 404 everywhere and never show in lists or reports."""

import pytest

OBJECTS = {
    "/api/expenses/": ({"category": "food", "amount": 10, "date": "2026-05-05"}, {"amount": 1}),
    "/api/incomes/": ({"source": "pay", "amount": 99, "date": "2026-05-05"}, {"amount": 1}),
    "/api/budgets/": ({"category": "food", "limit": 50, "period": "monthly"}, {"limit": 1}),
    "/api/goals/": ({"target_amount": 500, "deadline": "2027-01-01"}, {"saved_amount": 1}),
}


@pytest.mark.parametrize("path", list(OBJECTS))
async def test_second_user_cannot_read_change_or_delete(client, alice, bob, path):
    body, change = OBJECTS[path]
    mine = (await client.post(path, headers=alice, json=body)).json()
    url = f"{path}{mine['id']}/"

    assert (await client.get(url, headers=bob)).status_code == 404
    assert (await client.patch(url, headers=bob, json=change)).status_code == 404
    assert (await client.put(url, headers=bob, json=body)).status_code == 404
    assert (await client.delete(url, headers=bob)).status_code == 404
    theirs = await client.get(path, headers=bob)
    assert theirs.json() == [] and theirs.headers["X-Total-Count"] == "0"

    # Untouched for the owner.
    assert (await client.get(url, headers=alice)).json() == mine


async def test_reports_and_budgets_count_only_the_owners_money(client, alice, bob):
    for path, (body, _) in OBJECTS.items():
        await client.post(path, headers=alice, json=body)
    await client.post("/api/budgets/", headers=bob, json=OBJECTS["/api/budgets/"][0])
    await client.patch("/api/auth/me/", headers=bob, json={"timezone": "UTC"})
    report = await client.get("/api/reports/summary/?from=2026-05-01&to=2026-05-31", headers=bob)
    assert report.json()["total_expenses"] == 0
    assert report.json()["total_income"] == 0
    assert report.json()["by_category"] == []
    [budget] = (await client.get("/api/budgets/", headers=bob)).json()
    assert budget["spent"] == 0


async def test_a_missing_object_and_someone_elses_answer_alike(client, alice, bob):
    mine = (await client.post("/api/goals/", headers=alice, json=OBJECTS["/api/goals/"][0])).json()
    theirs = await client.get(f"/api/goals/{mine['id']}/", headers=bob)
    missing = await client.get(f"/api/goals/{mine['id'] + 1000}/", headers=bob)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
