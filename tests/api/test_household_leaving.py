"""SPEC 8, who shares what and who may still touch it: shares fixed when an expense is
recorded, what a leaver can no longer do, settlements by their parties only, and the
owner's 403s (security review 2026-12: M1, M2, M3)."""

from decimal import Decimal
from typing import Any

import httpx

from tests.api.test_household_balances import exact, household, spend, user_id
from tests.conftest import make_user

D = Decimal


async def lines(client: httpx.AsyncClient, headers: dict[str, str], home: int) -> Any:
    """user_id -> (member, share, balance)."""
    answer = await client.get(f"/api/households/{home}/balances/", headers=headers)
    assert answer.status_code == 200, answer.text
    return {
        int(m["user_id"]): (m["member"], m["share"], m["balance"]) for m in exact(answer)["members"]
    }


async def spend_today(
    client: httpx.AsyncClient, headers: dict[str, str], home: int, amount: str
) -> Any:
    body = {"category": "groceries", "amount": amount, "household_id": home}
    answer = await client.post("/api/expenses/", headers=headers, json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def leave(client: httpx.AsyncClient, headers: dict[str, str], home: int, who: int) -> None:
    answer = await client.delete(f"/api/households/{home}/members/{who}/", headers=headers)
    assert answer.status_code == 204, answer.text


async def test_joining_later_owes_nothing_of_the_past_and_leaving_keeps_ones_share(client):
    heads = [await make_user(client, name) for name in ("ann", "ben", "cat")]
    ann, ben, cat = [await user_id(client, h) for h in heads]
    home = await household(client, heads[:2])
    await spend(client, heads[0], home, "30.00")  # ann and ben: 15.00 each
    # cat joins: the 30.00 was split before her, so she owes nothing of it.
    code = (await client.post(f"/api/households/{home}/invites/", headers=heads[0])).json()
    joined = await client.post("/api/households/join/", headers=heads[2], json=code)
    assert joined.status_code == 200, joined.text
    assert await lines(client, heads[0], home) == {
        ann: (True, D(15), D(15)),
        ben: (True, D(15), D(-15)),
        cat: (True, D(0), D(0)),
    }
    await spend(client, heads[2], home, "9.00")  # the three of them: 3.00 each
    # ben leaves: his debt stays where it was, and nobody else takes it on.
    await leave(client, heads[1], home, ben)
    assert await lines(client, heads[0], home) == {
        ann: (True, D(18), D(12)),
        ben: (False, D(18), D(-18)),
        cat: (True, D(3), D(6)),
    }
    # What is recorded after he left is split without him.
    await spend(client, heads[0], home, "10.00")
    after = await lines(client, heads[0], home)
    assert after[ben] == (False, D(18), D(-18)) and after[cat] == (True, D(8), D(1))


async def test_a_changed_amount_rescales_over_the_same_people_and_a_move_takes_the_new_ones(
    client,
):
    heads = [await make_user(client, name) for name in ("ann", "ben", "cat")]
    ann, ben, cat = [await user_id(client, h) for h in heads]
    home = await household(client, heads[:2])
    expense = await spend(client, heads[0], home, "10.00", split={str(ann): "0.2", str(ben): "0.8"})
    url = f"/api/expenses/{expense['id']}/"
    code = (await client.post(f"/api/households/{home}/invites/", headers=heads[0])).json()
    assert (await client.post("/api/households/join/", headers=heads[2], json=code)).is_success
    # Back to an equal split, with a new amount: still over ann and ben, not cat.
    changed = await client.patch(url, headers=heads[0], json={"amount": "40.00", "split": {}})
    assert changed.status_code == 200, changed.text
    assert await lines(client, heads[0], home) == {
        ann: (True, D(20), D(20)),
        ben: (True, D(20), D(-20)),
        cat: (True, D(0), D(0)),
    }
    # Moved to another household, it is shared by that one's members of now.
    other = await household(client, [heads[0], heads[2]])
    moved = await client.patch(url, headers=heads[0], json={"household_id": other})
    assert moved.status_code == 200, moved.text
    assert await lines(client, heads[0], other) == {
        ann: (True, D(20), D(20)),
        cat: (True, D(20), D(-20)),
    }
    assert all(share == 0 for _, share, _ in (await lines(client, heads[0], home)).values())


async def test_a_leaver_can_no_longer_change_what_the_others_count(client):
    heads = [await make_user(client, name) for name in ("ann", "ben")]
    ann, ben = [await user_id(client, h) for h in heads]
    home = await household(client, heads)
    shared = await spend_today(client, heads[1], home, "30.00")
    income = await client.post(
        "/api/incomes/",
        headers=heads[1],
        json={"source": "refund", "amount": "5", "household_id": home},
    )
    budget = await client.post(
        "/api/budgets/",
        headers=heads[1],
        json={"category": "groceries", "limit": "100", "period": "monthly", "household_id": home},
    )
    own = await client.post(
        "/api/expenses/", headers=heads[1], json={"category": "groceries", "amount": "2.00"}
    )
    assert income.status_code == budget.status_code == own.status_code == 201
    await spend_today(client, heads[0], home, "50.00")  # ann's: the household's spending
    # A member still changes their shared entries.
    patched = await client.patch(
        f"/api/expenses/{shared['id']}/", headers=heads[1], json={"description": "food"}
    )
    assert patched.status_code == 200, patched.text
    household_budget = await client.get(f"/api/budgets/{budget.json()['id']}/", headers=heads[1])
    assert D(household_budget.json()["spent"]) == D(80)
    before = await lines(client, heads[0], home)

    await leave(client, heads[0], home, ben)  # the owner removes ben
    entries = (
        f"/api/expenses/{shared['id']}/",
        f"/api/incomes/{income.json()['id']}/",
        f"/api/budgets/{budget.json()['id']}/",
    )
    changes = ({"amount": "99999"}, {"amount": "99999"}, {"limit": "1"})
    for url, change in zip(entries, changes, strict=True):
        assert (await client.patch(url, headers=heads[1], json=change)).status_code == 404, url
        assert (await client.delete(url, headers=heads[1])).status_code == 404, url
    whole = {"category": "groceries", "amount": "99999", "household_id": home}
    assert (await client.put(entries[0], headers=heads[1], json=whole)).status_code == 404
    after = await lines(client, heads[0], home)
    assert {k: v[1:] for k, v in after.items()} == {k: v[1:] for k, v in before.items()}
    # His budget shows only his own spending now, not the household's.
    left_behind = await client.get(entries[2], headers=heads[1])
    assert left_behind.status_code == 200
    assert D(left_behind.json()["spent"]) == D("32.00")  # his shared 30 and own 2
    listed = (await client.get("/api/budgets/", headers=heads[1])).json()
    assert [D(b["spent"]) for b in listed] == [D("32.00")]
    # His own entries are still his to change.
    fixed = await client.patch(
        f"/api/expenses/{own.json()['id']}/", headers=heads[1], json={"amount": "3.00"}
    )
    assert fixed.status_code == 200, fixed.text
    assert ann != ben


async def test_a_leavers_unused_invites_stop_working_and_the_owner_withdraws_all(client):
    heads = [await make_user(client, name) for name in ("ann", "ben", "cat", "dan")]
    ann, ben = [await user_id(client, h) for h in heads[:2]]
    home = await household(client, heads[:2])
    invites = f"/api/households/{home}/invites/"
    by_ben = (await client.post(invites, headers=heads[1])).json()
    by_ann = (await client.post(invites, headers=heads[0])).json()
    await leave(client, heads[1], home, ben)
    refused = await client.post("/api/households/join/", headers=heads[1], json=by_ben)
    assert refused.status_code == 422 and "code" in refused.json()["message"]
    refused = await client.post("/api/households/join/", headers=heads[2], json=by_ben)
    assert refused.status_code == 422
    # ann's invite holds, until she (the owner) withdraws the unused ones.
    joined = await client.post("/api/households/join/", headers=heads[2], json=by_ann)
    assert joined.status_code == 200, joined.text
    spare = (await client.post(invites, headers=heads[2])).json()
    member = await client.delete(invites, headers=heads[2])
    assert member.status_code == 403, member.text
    assert member.json()["detail"] == "only the household's owner can withdraw its invites"
    assert (await client.delete(invites, headers=heads[3])).status_code == 404
    assert (await client.delete(invites, headers=heads[0])).status_code == 204
    refused = await client.post("/api/households/join/", headers=heads[3], json=spare)
    assert refused.status_code == 422
    assert ann != ben


async def test_settlements_by_their_parties_only_and_either_can_take_one_back(client):
    heads = [await make_user(client, name) for name in ("ann", "ben", "cat", "eve")]
    ann, ben, cat, _ = [await user_id(client, h) for h in heads]
    home = await household(client, heads[:3])
    url = f"/api/households/{home}/settlements/"
    # cat records that ann paid ben: not hers to say.
    body = {"from_user_id": ann, "to_user_id": ben, "amount": "50.00"}
    refused = await client.post(url, headers=heads[2], json=body)
    assert refused.status_code == 422, refused.text
    assert "from_user_id" in refused.json()["message"]
    assert (await client.get(url, headers=heads[0])).json() == []
    # The payer or the payee records it.
    made = [(await client.post(url, headers=heads[n], json=body)).json() for n in (0, 1)]
    assert [s["created_by"] for s in made] == [ann, ben]
    # A member who is neither party: 403 naming why; a non-member, or another
    # household's settlement: 404.
    first = f"{url}{made[0]['id']}/"
    forbidden = await client.delete(first, headers=heads[2])
    assert forbidden.status_code == 403
    assert forbidden.json()["detail"] == "only the settlement's payer or payee can delete it"
    assert (await client.delete(first, headers=heads[3])).status_code == 404
    elsewhere = await household(client, [heads[3]])
    stray = f"/api/households/{elsewhere}/settlements/{made[0]['id']}/"
    assert (await client.delete(stray, headers=heads[3])).status_code == 404
    # Either party takes one back.
    assert (await client.delete(first, headers=heads[1])).status_code == 204
    assert (await client.delete(f"{url}{made[1]['id']}/", headers=heads[0])).status_code == 204
    assert (await client.delete(first, headers=heads[0])).status_code == 404
    assert (await client.get(url, headers=heads[0])).json() == []
    assert (await client.delete(f"{url}0/", headers=heads[0])).status_code == 404
    assert cat
