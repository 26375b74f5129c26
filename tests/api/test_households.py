"""Households (SPEC 8): membership rules and who sees what."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from core.models import Household, HouseholdInvite, HouseholdMember
from tests.conftest import make_user


async def new_household(client, headers, name="Flat 3") -> dict:
    answer = await client.post("/api/households/", headers=headers, json={"name": name})
    assert answer.status_code == 201, answer.text
    return answer.json()


async def invite(client, headers, household_id: int) -> str:
    answer = await client.post(f"/api/households/{household_id}/invites/", headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()["code"]


async def join(client, headers, code: str):
    return await client.post("/api/households/join/", headers=headers, json={"code": code})


async def household_of_two(client, owner, member) -> int:
    household = await new_household(client, owner)
    assert (
        await join(client, member, await invite(client, owner, household["id"]))
    ).status_code == 200
    return household["id"]


def roles(household: dict) -> dict[str, str]:
    return {m["username"]: m["role"] for m in household["members"]}


async def test_the_creator_is_the_owner_and_sees_it_with_its_members(client, alice):
    await client.patch("/api/auth/me/", headers=alice, json={"currency": "GBP"})
    made = await new_household(client, alice, "Home")
    assert (made["name"], made["currency"], roles(made)) == ("Home", "GBP", {"alice": "owner"})
    assert made["members"][0]["joined_at"].endswith("Z") or "+" in made["members"][0]["joined_at"]
    assert (await client.get(f"/api/households/{made['id']}/", headers=alice)).json() == made
    assert (await client.get("/api/households/", headers=alice)).json() == [made]
    blank = await client.post("/api/households/", headers=alice, json={"name": " "})
    assert blank.status_code == 422 and "name" in blank.text


async def test_an_invite_is_one_time_and_a_member_cannot_join_twice(app, client, alice, bob):
    carol = await make_user(client, "carol")
    household = await new_household(client, alice)
    answer = await client.post(f"/api/households/{household['id']}/invites/", headers=alice)
    body = answer.json()
    code = body["code"]
    assert code in body["url"] and body["url"].startswith("http://finbot.test/")
    async with app.state.database.session() as session:
        stored = list((await session.execute(select(HouseholdInvite.code_hash))).scalars())
    assert stored and code not in stored  # only the hash is kept

    joined = await join(client, bob, code)
    assert joined.status_code == 200, joined.text
    assert roles(joined.json()) == {"alice": "owner", "bob": "member"}
    used = await join(client, carol, code)
    assert used.status_code == 422 and used.json()["detail"][0]["loc"][-1] == "code"
    unknown = await join(client, carol, "not-a-code")
    assert unknown.status_code == 422 and "code" in unknown.text

    # A member already: 409, and the code stays good for someone else.
    second = await invite(client, bob, household["id"])  # any member may invite
    assert (await join(client, alice, second)).status_code == 409
    assert (await join(client, carol, second)).status_code == 200
    listed = (await client.get(f"/api/households/{household['id']}/", headers=carol)).json()
    assert roles(listed) == {"alice": "owner", "bob": "member", "carol": "member"}


async def test_an_invite_expires_after_seven_days(app, client, alice, bob):
    household = await new_household(client, alice)
    code = await invite(client, alice, household["id"])
    async with app.state.database.session() as session:
        expires = (await session.execute(select(HouseholdInvite.expires_at))).scalar_one()
        assert timedelta(days=6, hours=23) < expires - datetime.now(UTC) <= timedelta(days=7)
        await session.execute(
            update(HouseholdInvite).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()
    expired = await join(client, bob, code)
    assert expired.status_code == 422 and "expired" in expired.text
    assert (await client.get(f"/api/households/{household['id']}/", headers=bob)).status_code == 404


async def ids(client, headers) -> dict[str, int]:
    me = (await client.get("/api/auth/me/", headers=headers)).json()
    return me["id"]


async def test_removal_rights_and_ownership_passing_on(app, client, alice, bob):
    carol = await make_user(client, "carol")
    household_id = await household_of_two(client, alice, bob)
    assert (await join(client, carol, await invite(client, alice, household_id))).status_code == 200
    alice_id, bob_id, carol_id = [await ids(client, h) for h in (alice, bob, carol)]
    members = f"/api/households/{household_id}/members"

    # A member removes nobody else, not even the owner: the members are no secret to a
    # member, so the answer is 403 naming why; someone who is no member is 404.
    for other in (carol_id, alice_id):
        refused = await client.delete(f"{members}/{other}/", headers=bob)
        assert refused.status_code == 403, refused.text
        assert refused.json()["detail"] == "only the household's owner can remove another member"
    stranger = await make_user(client, "dave")
    assert (await client.delete(f"{members}/{bob_id}/", headers=stranger)).status_code == 404
    assert (await client.delete(f"{members}/999999/", headers=alice)).status_code == 404
    assert (await client.delete(f"{members}/999999/", headers=bob)).status_code == 404
    # The owner removes anyone.
    assert (await client.delete(f"{members}/{carol_id}/", headers=alice)).status_code == 204
    assert (await client.get(f"/api/households/{household_id}/", headers=carol)).status_code == 404
    # The owner leaving passes ownership to the longest-standing member.
    assert (await client.delete(f"{members}/{alice_id}/", headers=alice)).status_code == 204
    left = (await client.get(f"/api/households/{household_id}/", headers=bob)).json()
    assert roles(left) == {"bob": "owner"}
    assert (await client.get("/api/households/", headers=alice)).json() == []
    # The last member leaving deletes it; shared entries become their creators' own.
    entry = await client.post(
        "/api/expenses/",
        headers=bob,
        json={"category": "food", "amount": 5, "household_id": household_id},
    )
    assert (await client.delete(f"{members}/{bob_id}/", headers=bob)).status_code == 204
    async with app.state.database.session() as session:
        assert await session.get(Household, household_id) is None
        assert (await session.execute(select(HouseholdMember))).all() == []
    mine = await client.get(f"/api/expenses/{entry.json()['id']}/", headers=bob)
    assert mine.status_code == 200 and mine.json()["household_id"] is None


async def test_a_member_removing_themself_leaves(client, alice, bob):
    household_id = await household_of_two(client, alice, bob)
    bob_id = await ids(client, bob)
    gone = await client.delete(f"/api/households/{household_id}/members/{bob_id}/", headers=bob)
    assert gone.status_code == 204
    left = (await client.get(f"/api/households/{household_id}/", headers=alice)).json()
    assert roles(left) == {"alice": "owner"}


ROUTES = [
    ("get", ""),
    ("post", "invites/"),
    ("get", "expenses/"),
    ("get", "incomes/"),
    ("get", "budgets/"),
    ("get", "summary/"),
    ("delete", "members/{owner}/"),
]


@pytest.mark.parametrize("who", ["stranger", "ex-member"])
async def test_a_non_member_and_an_ex_member_get_404_on_everything(client, alice, bob, who):
    household_id = await household_of_two(client, alice, bob)
    await client.post(
        "/api/expenses/",
        headers=alice,
        json={"category": "food", "amount": 5, "household_id": household_id},
    )
    outsider = await make_user(client, "carol")
    if who == "ex-member":
        assert (
            await join(client, outsider, await invite(client, alice, household_id))
        ).status_code == 200
        carol_id = await ids(client, outsider)
        removed = await client.delete(
            f"/api/households/{household_id}/members/{carol_id}/", headers=alice
        )
        assert removed.status_code == 204
    owner = await ids(client, alice)
    missing = await client.get("/api/households/999999/", headers=outsider)
    for method, path in ROUTES:
        url = f"/api/households/{household_id}/{path.format(owner=owner)}"
        answer = await client.request(method, url, headers=outsider)
        assert answer.status_code == 404, (method, url, answer.text)
        if method == "get" and path == "":
            assert answer.json() == missing.json()  # nothing tells it exists
    assert (await client.get("/api/households/", headers=outsider)).json() == []
    # The members are untouched.
    household = (await client.get(f"/api/households/{household_id}/", headers=alice)).json()
    assert roles(household) == {"alice": "owner", "bob": "member"}


ENTRIES = {
    "/api/expenses/": ({"category": "food", "amount": 10, "date": "2026-05-05"}, {"amount": 1}),
    "/api/incomes/": ({"source": "pay", "amount": 99, "date": "2026-05-05"}, {"amount": 1}),
    "/api/budgets/": ({"category": "food", "limit": 50, "period": "monthly"}, {"limit": 1}),
}


@pytest.mark.parametrize("path", list(ENTRIES))
@pytest.mark.parametrize("shared", [False, True])
async def test_a_member_never_reads_or_edits_another_members_entries(
    client, alice, bob, path, shared
):
    """Only its creator edits an entry, shared or not; the own ones are not even seen."""
    household_id = await household_of_two(client, alice, bob)
    body, change = ENTRIES[path]
    if shared:
        body = {**body, "household_id": household_id}
    made = (await client.post(path, headers=alice, json=body)).json()
    url = f"{path}{made['id']}/"
    assert (await client.get(url, headers=bob)).status_code == 404
    assert (await client.patch(url, headers=bob, json=change)).status_code == 404
    assert (await client.put(url, headers=bob, json=body)).status_code == 404
    assert (await client.delete(url, headers=bob)).status_code == 404
    assert (await client.get(path, headers=bob)).json() == []
    plural = path.split("/")[2]
    listed = await client.get(f"/api/households/{household_id}/{plural}/", headers=bob)
    assert [e["id"] for e in listed.json()] == ([made["id"]] if shared else [])
    assert (await client.get(url, headers=alice)).json() == made


async def test_shared_lists_page_filter_and_count_like_the_personal_ones(client, alice, bob):
    household_id = await household_of_two(client, alice, bob)
    shared = {"household_id": household_id}
    for who, category, day in [
        (alice, "food", "2026-05-01"),
        (bob, "Food", "2026-05-03"),
        (bob, "rent", "2026-05-02"),
        (alice, "food", "2026-04-30"),
    ]:
        made = await client.post(
            "/api/expenses/",
            headers=who,
            json={"category": category, "amount": 3, "date": day, **shared},
        )
        assert made.status_code == 201, made.text
    await client.post("/api/expenses/", headers=bob, json={"category": "food", "amount": 7})
    await client.post("/api/incomes/", headers=bob, json={"source": "pay", "amount": 9, **shared})
    await client.post("/api/incomes/", headers=alice, json={"source": "own", "amount": 9})
    base = f"/api/households/{household_id}"

    everything = await client.get(f"{base}/expenses/", headers=alice)
    assert everything.headers["X-Total-Count"] == "4"
    assert [e["date"] for e in everything.json()] == [
        "2026-05-03", "2026-05-02", "2026-05-01", "2026-04-30"
    ]  # fmt: skip
    assert {e["household_id"] for e in everything.json()} == {household_id}
    page = await client.get(f"{base}/expenses/?limit=1&offset=1", headers=bob)
    assert page.headers["X-Total-Count"] == "4" and page.json() == everything.json()[1:2]
    beyond = await client.get(f"{base}/expenses/?offset=10", headers=bob)
    assert beyond.json() == [] and beyond.headers["X-Total-Count"] == "4"
    food = await client.get(f"{base}/expenses/?category=FOOD&from=2026-05-01", headers=bob)
    assert [e["date"] for e in food.json()] == ["2026-05-03", "2026-05-01"]
    assert food.headers["X-Total-Count"] == "2"
    bad = await client.get(f"{base}/expenses/?from=2026-05-09&to=2026-05-01", headers=bob)
    assert bad.status_code == 422
    incomes = await client.get(f"{base}/incomes/", headers=alice)
    assert [i["source"] for i in incomes.json()] == ["pay"]
    assert incomes.headers["X-Total-Count"] == "1"


async def test_an_invite_url_is_a_telegram_deep_link_when_the_bot_is_named(app, client, alice):
    app.state.settings.telegram_bot_username = "@finbot_test_bot"
    household = await new_household(client, alice)
    body = (await client.post(f"/api/households/{household['id']}/invites/", headers=alice)).json()
    assert body["url"] == f"https://t.me/finbot_test_bot?start=join-{body['code']}"


async def test_two_people_racing_for_one_code_one_gets_in(client, alice, bob):
    import asyncio

    carol = await make_user(client, "carol")
    household = await new_household(client, alice)
    code = await invite(client, alice, household["id"])
    answers = await asyncio.gather(join(client, bob, code), join(client, carol, code))
    assert sorted(a.status_code for a in answers) == [200, 422]
    listed = (await client.get(f"/api/households/{household['id']}/", headers=alice)).json()
    assert len(listed["members"]) == 2
