"""What a request names that is not there: a path that names nothing is 404 (as an id
that does not exist), and a body's reference to a household not the caller's is a 422
naming it, not a 404 that would say the entry addressed is gone (the fuzzer's reading)."""

import pytest

from tests.api.test_households import household_of_two, new_household
from tests.conftest import make_user

BODIES = {
    "/api/expenses/": {"category": "food", "amount": "10", "date": "2026-05-05"},
    "/api/incomes/": {"source": "pay", "amount": "99", "date": "2026-05-05"},
    "/api/budgets/": {"category": "food", "limit": "50", "period": "monthly"},
}


@pytest.mark.parametrize("path", list(BODIES))
async def test_a_household_not_yours_in_a_body_is_422_naming_it_and_changes_nothing(
    client, alice, bob, path
):
    others = (await new_household(client, bob, "Not Alice's"))["id"]
    made = (await client.post(path, headers=alice, json=BODIES[path])).json()
    url = f"{path}{made['id']}/"
    for method, body in (
        ("post", {**BODIES[path], "household_id": others}),
        ("put", {**BODIES[path], "household_id": others}),
        ("patch", {"household_id": others}),
        ("patch", {"household_id": 2**31 - 1}),  # no household at all: the same answer
    ):
        target = path if method == "post" else url
        answer = await client.request(method, target, headers=alice, json=body)
        assert answer.status_code == 422, (method, answer.text)
        assert answer.json()["detail"][0]["field"] == "household_id"
    assert (await client.get(url, headers=alice)).json() == made
    listed = (await client.get(path, headers=alice)).json()
    assert [entry["id"] for entry in listed] == [made["id"]]


async def test_a_member_still_shares_into_their_own_household(client, alice, bob):
    home = await household_of_two(client, alice, bob)
    body = {**BODIES["/api/expenses/"], "household_id": home}
    assert (await client.post("/api/expenses/", headers=alice, json=body)).status_code == 201


@pytest.mark.parametrize(
    "url",
    [
        "/api/expenses/None/",
        "/api/expenses/0/",
        "/api/budgets/1.5/",
        "/api/households/None/settlements/2/",
        "/api/households/x/members/y/",
    ],
)
async def test_a_path_that_names_nothing_is_404(client, url):
    user = await make_user(client, "carol")
    for method in ("get", "delete"):
        answer = await client.request(method, url, headers=user)
        if answer.status_code == 405:
            continue
        assert answer.status_code == 404, (method, url, answer.text)
        assert answer.json() == {"detail": "Not Found"}
