"""The households core the other parts build on: create, membership, and entries'
`household_id` accepted only for a household of the caller's."""

import pytest

from core.exceptions import NotFound
from core.households.service import create_household, get_household, households_of, member_ids
from core.models import User

ENTRIES = {
    "/api/expenses/": {"category": "food", "amount": 10, "date": "2026-05-05"},
    "/api/incomes/": {"source": "pay", "amount": 99, "date": "2026-05-05"},
    "/api/budgets/": {"category": "food", "limit": 50, "period": "monthly"},
}


async def user_named(session, name: str) -> User:
    from sqlalchemy import select

    return (await session.execute(select(User).where(User.username == name))).scalar_one()


async def test_the_creator_owns_a_household_in_their_base_currency(app, client, alice, bob):
    await client.patch("/api/auth/me/", headers=alice, json={"currency": "USD"})
    async with app.state.database.session() as session:
        owner = await user_named(session, "alice")
        household = await create_household(session, owner, "Flat 3")
        await session.commit()
        assert household.currency == "USD"
        assert await member_ids(session, household.id) == [owner.id]
        assert [h.id for h in await households_of(session, owner.id)] == [household.id]
        assert (await get_household(session, owner.id, household.id)).name == "Flat 3"
        stranger = await user_named(session, "bob")
        assert await households_of(session, stranger.id) == []
        with pytest.raises(NotFound):
            await get_household(session, stranger.id, household.id)


@pytest.mark.parametrize("path", list(ENTRIES))
async def test_entries_take_a_household_of_the_callers_only(app, client, alice, bob, path):
    async with app.state.database.session() as session:
        household = await create_household(session, await user_named(session, "alice"), "Home")
        await session.commit()
        household_id = household.id
    shared = {**ENTRIES[path], "household_id": household_id}

    made = await client.post(path, headers=alice, json=shared)
    assert made.status_code == 201, made.text
    assert made.json()["household_id"] == household_id
    assert (await client.get(f"{path}{made.json()['id']}/", headers=alice)).json()[
        "household_id"
    ] == household_id

    # A stranger naming it: 422 naming household_id (a 404 on PUT /budgets/7/ would say
    # budget 7 is gone), the same answer as for a household that does not exist.
    refused = await client.post(path, headers=bob, json=shared)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "household_id"
    own = (await client.post(path, headers=bob, json=ENTRIES[path])).json()
    assert own["household_id"] is None
    moved = await client.patch(
        f"{path}{own['id']}/", headers=bob, json={"household_id": household_id}
    )
    assert moved.status_code == 422
    put = await client.put(f"{path}{own['id']}/", headers=bob, json=shared)
    assert put.status_code == 422
    assert (await client.get(f"{path}{own['id']}/", headers=bob)).json() == own
    assert (
        await client.post(path, headers=alice, json={**shared, "household_id": 0})
    ).status_code == 422

    # The member takes it out with null (PATCH), and a PUT without it leaves it personal.
    entry = made.json()["id"]
    out = await client.patch(f"{path}{entry}/", headers=alice, json={"household_id": None})
    assert out.status_code == 200 and out.json()["household_id"] is None
    back = await client.patch(f"{path}{entry}/", headers=alice, json={"household_id": household_id})
    assert back.json()["household_id"] == household_id
    kept = await client.patch(
        f"{path}{entry}/",
        headers=alice,
        json={"description": "x"} if path != "/api/budgets/" else {"limit": 60},
    )
    assert kept.json()["household_id"] == household_id
    replaced = await client.put(f"{path}{entry}/", headers=alice, json=ENTRIES[path])
    assert replaced.json()["household_id"] is None
    listed = (await client.get(path, headers=alice)).json()
    assert [e["household_id"] for e in listed] == [None]
