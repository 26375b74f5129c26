"""SPEC 8 through the API: splits, balances, settlements, and who may see them."""

import asyncio
import json
from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from core.currencies.ecb import DailyRate
from core.currencies.service import ensure_rates_loaded
from core.households import settle
from tests.conftest import make_user
from tests.core.rates_support import set_rates

D = Decimal
# Far from the shipped ECB history: the rates there are exactly the ones set here.
FRIDAY = date(2032, 3, 5)
SUNDAY = date(2032, 3, 7)


def exact(answer: httpx.Response) -> Any:
    """The body with every JSON number as a Decimal, as it was written on the wire."""
    return json.loads(answer.text, parse_float=Decimal, parse_int=Decimal)


async def user_id(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    answer = await client.get("/api/auth/me/", headers=headers)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["id"])


async def household(client: httpx.AsyncClient, heads: list[dict[str, str]]) -> int:
    """A household of these people (the first its owner, the others joined by invite)."""
    made = await client.post("/api/households/", headers=heads[0], json={"name": "flat"})
    assert made.status_code == 201, made.text
    home = int(made.json()["id"])
    for member in heads[1:]:
        invite = await client.post(f"/api/households/{home}/invites/", headers=heads[0])
        assert invite.status_code in (200, 201), invite.text
        joined = await client.post(
            "/api/households/join/", headers=member, json={"code": invite.json()["code"]}
        )
        assert joined.status_code == 200, joined.text
    return home


async def spend(
    client: httpx.AsyncClient, headers: dict[str, str], home: int, amount: str, **extra: Any
) -> Any:
    body = {"category": "groceries", "amount": amount, "date": str(FRIDAY), "household_id": home}
    answer = await client.post("/api/expenses/", headers=headers, json={**body, **extra})
    assert answer.status_code == 201, answer.text
    return exact(answer)


def by_user(balances: Any) -> dict[int, tuple[Decimal, ...]]:
    return {
        int(m["user_id"]): (m["paid"], m["share"], m["settled_out"], m["settled_in"], m["balance"])
        for m in balances["members"]
    }


async def test_four_members_uneven_splits_a_settlement_and_the_fewest_transfers(client):
    heads = [await make_user(client, name) for name in ("ann", "ben", "cat", "dov")]
    ann, ben, cat, dov = [await user_id(client, h) for h in heads]
    home = await household(client, heads)
    ann_h, ben_h, cat_h, dov_h = heads
    await spend(client, ann_h, home, "120.00")  # equal: 30.00 each
    split = {str(ann): "0.5", str(ben): "0.25", str(cat): "0.25"}
    created = await spend(client, ben_h, home, "100.00", split=split)  # 50 / 25 / 25
    assert created["split"] == {str(ann): D("0.5"), str(ben): D("0.25"), str(cat): D("0.25")}
    await spend(client, cat_h, home, "10.00")  # equal: 2.50 each
    await spend(client, dov_h, home, "60.00", split={str(ben): 0.5, str(dov): 0.5})  # 30 / 30
    # 3.333 / 3.333 / 3.334: each rounded down to 3.33, the cent left over goes to the
    # largest remainder, Cat's (0.4 of a cent against 0.3): 3.33 / 3.33 / 3.34.
    thirds = {str(ann): "0.3333", str(ben): "0.3333", str(cat): "0.3334"}
    await spend(client, ann_h, home, "10.00", split=thirds)
    answer = await client.post(
        f"/api/households/{home}/settlements/",
        headers=cat_h,
        json={"from_user_id": cat, "to_user_id": ann, "amount": "41.67", "note": "cash"},
    )
    assert answer.status_code == 201, answer.text
    assert exact(answer)["amount"] == D("41.67") and answer.json()["currency"] == "EUR"

    answer = await client.get(f"/api/households/{home}/balances/", headers=dov_h)
    assert answer.status_code == 200, answer.text
    balances = exact(answer)
    assert balances["currency"] == "EUR"
    # paid, share, settled out, settled in, balance = paid - share + out - in:
    # Ann's share 30 + 50 + 2.50 + 3.33 = 85.83; Ben's 30 + 25 + 2.50 + 30 + 3.33 = 90.83;
    # Cat's 30 + 25 + 2.50 + 3.34 = 60.84; Dov's 30 + 2.50 + 30 = 62.50 (sum 300.00).
    assert by_user(balances) == {
        ann: (D("130"), D("85.83"), D(0), D("41.67"), D("2.5")),
        ben: (D("100"), D("90.83"), D(0), D(0), D("9.17")),
        cat: (D("10"), D("60.84"), D("41.67"), D(0), D("-9.17")),
        dov: (D("60"), D("62.5"), D(0), D(0), D("-2.5")),
    }
    # Two pairs cancel exactly: two transfers where a chain would take three.
    assert balances["transfers"] == [
        {"from_user_id": cat, "to_user_id": ben, "amount": D("9.17")},
        {"from_user_id": dov, "to_user_id": ann, "amount": D("2.5")},
    ]
    assert {m["username"] for m in balances["members"]} == {"ann", "ben", "cat", "dov"}
    assert all(m["member"] for m in balances["members"])

    # The same figures as the pure reference (core/households/settle.py).
    reference = settle.settle(
        [ann, ben, cat, dov],
        [
            settle.SharedExpense(ann, D("120.00")),
            settle.SharedExpense(ben, D("100.00"), {ann: D("0.5"), ben: D("0.25"), cat: D("0.25")}),
            settle.SharedExpense(cat, D("10.00")),
            settle.SharedExpense(dov, D("60.00"), {ben: D("0.5"), dov: D("0.5")}),
            settle.SharedExpense(
                ann, D("10.00"), {ann: D("0.3333"), ben: D("0.3333"), cat: D("0.3334")}
            ),
        ],
        [settle.Settlement(cat, ann, D("41.67"))],
        "EUR",
    )
    assert by_user(balances) == {
        m.user_id: (m.paid, m.share, m.settled_out, m.settled_in, m.balance)
        for m in reference.members
    }
    assert [(t["from_user_id"], t["to_user_id"], t["amount"]) for t in balances["transfers"]] == [
        (t.from_user_id, t.to_user_id, t.amount) for t in reference.transfers
    ]

    listed = await client.get(f"/api/households/{home}/settlements/", headers=ben_h)
    assert listed.status_code == 200
    assert [(s["from_user_id"], s["to_user_id"], s["note"]) for s in listed.json()] == [
        (cat, ann, "cash")
    ]


async def test_leftover_cents_of_an_equal_split(client):
    heads = [await make_user(client, name) for name in ("ann", "ben", "cat")]
    ann, ben, cat = [await user_id(client, h) for h in heads]
    home = await household(client, heads)
    await spend(client, heads[1], home, "10.00")  # 3.34 to Ben who paid, 3.33 each other
    await spend(client, heads[2], home, "0.02")  # one cent to Cat who paid, one to Ann
    balances = exact(await client.get(f"/api/households/{home}/balances/", headers=heads[0]))
    shares = {int(m["user_id"]): m["share"] for m in balances["members"]}
    assert shares == {ann: D("3.34"), ben: D("3.34"), cat: D("3.34")}
    assert sum(shares.values()) == D("10.02")


async def test_entries_in_another_currency_count_at_their_dates_rate(client, app):
    async with app.state.database.session() as session:
        await ensure_rates_loaded(session)
    await set_rates(
        app.state.database,
        [DailyRate("USD", FRIDAY, D("1.25")), DailyRate("GBP", FRIDAY, D("0.8"))],
    )
    heads = [await make_user(client, name) for name in ("ann", "ben")]
    ann, ben = [await user_id(client, h) for h in heads]
    home = await household(client, heads[:2])
    await spend(client, heads[0], home, "100.00", currency="USD")  # 100 / 1.25 = 80.00 EUR
    # Sunday has no rate: Friday's. 10 / 0.8 = 12.50 EUR.
    await spend(client, heads[1], home, "10.00", currency="GBP", date=str(SUNDAY))
    balances = exact(await client.get(f"/api/households/{home}/balances/", headers=heads[1]))
    assert by_user(balances) == {
        ann: (D("80"), D("46.25"), D(0), D(0), D("33.75")),  # shares: 40 + 6.25 each
        ben: (D("12.5"), D("46.25"), D(0), D(0), D("-33.75")),
    }
    assert balances["transfers"] == [{"from_user_id": ben, "to_user_id": ann, "amount": D("33.75")}]


async def test_a_split_must_name_members_only_and_sum_to_one(client):
    heads = [await make_user(client, name) for name in ("ann", "ben", "eve")]
    ann, ben, eve = [await user_id(client, h) for h in heads]
    home = await household(client, heads[:2])
    await household(client, heads[2:])
    for split in (
        {str(ann): "0.5", str(eve): "0.5"},  # a stranger
        {str(ann): "0.5", str(ben): "0.4"},  # sums to 0.9
        {str(ann): "0.5", str(ben): "0.6"},  # sums to 1.1
        {str(ann): "0", str(ben): "1"},  # a zero share
        {str(ann): "-0.5", str(ben): "1.5"},
        {str(ann): "0.0000000001", str(ben): "0.9999999999"},  # finer than a billionth
        {"nobody": "1"},
    ):
        answer = await client.post(
            "/api/expenses/",
            headers=heads[0],
            json={"category": "food", "amount": "9.00", "household_id": home, "split": split},
        )
        assert answer.status_code == 422, (split, answer.text)
        assert "split" in answer.json()["message"], answer.text
    # Without household_id a split has nobody to split between.
    answer = await client.post(
        "/api/expenses/",
        headers=heads[0],
        json={"category": "food", "amount": "9.00", "split": {str(ann): "1"}},
    )
    assert answer.status_code == 422 and "split" in answer.json()["message"]
    listed = await client.get("/api/expenses/", headers=heads[0])
    assert listed.json() == []  # nothing was recorded


async def test_a_split_changes_with_the_expense(client):
    heads = [await make_user(client, name) for name in ("ann", "ben")]
    ann, ben = [await user_id(client, h) for h in heads]
    home = await household(client, heads[:2])
    expense = await spend(client, heads[0], home, "10.00", split={str(ann): "0.2", str(ben): "0.8"})
    url = f"/api/expenses/{expense['id']}/"

    async def shares() -> dict[int, Decimal]:
        body = exact(await client.get(f"/api/households/{home}/balances/", headers=heads[0]))
        return {int(m["user_id"]): m["share"] for m in body["members"]}

    assert await shares() == {ann: D(2), ben: D(8)}
    one = exact(await client.get(url, headers=heads[0]))
    assert one["split"] == {str(ann): D("0.2"), str(ben): D("0.8")}
    listed = exact(await client.get("/api/expenses/", headers=heads[0]))
    assert listed[0]["split"] == {str(ann): D("0.2"), str(ben): D("0.8")}
    # A change of amount keeps the split.
    changed = await client.patch(url, headers=heads[0], json={"amount": "20.00"})
    assert changed.status_code == 200, changed.text
    assert await shares() == {ann: D(4), ben: D(16)}
    changed = await client.patch(url, headers=heads[0], json={"split": {str(ann): "1"}})
    assert changed.status_code == 200 and exact(changed)["split"] == {str(ann): D(1)}
    assert await shares() == {ann: D(20), ben: D(0)}
    bad = await client.patch(url, headers=heads[0], json={"split": {str(ann): "0.7"}})
    assert bad.status_code == 422 and "split" in bad.json()["message"]
    assert await shares() == {ann: D(20), ben: D(0)}  # nothing changed
    # {} goes back to an equal split.
    changed = await client.patch(url, headers=heads[0], json={"split": {}})
    assert changed.status_code == 200 and changed.json()["split"] is None
    assert await shares() == {ann: D(10), ben: D(10)}


async def test_settlement_input_is_checked(client):
    heads = [await make_user(client, name) for name in ("ann", "ben", "eve")]
    ann, ben, eve = [await user_id(client, h) for h in heads]
    home = await household(client, heads[:2])
    url = f"/api/households/{home}/settlements/"
    empty = exact(await client.get(f"/api/households/{home}/balances/", headers=heads[1]))
    assert by_user(empty) == {ann: (D(0),) * 5, ben: (D(0),) * 5}
    assert empty["transfers"] == []
    for body, field in (
        ({"from_user_id": ann, "to_user_id": eve, "amount": "5"}, "to_user_id"),
        ({"from_user_id": eve, "to_user_id": ann, "amount": "5"}, "from_user_id"),
        ({"from_user_id": ann, "to_user_id": ann, "amount": "5"}, "to_user_id"),
        ({"from_user_id": ann, "to_user_id": ben, "amount": "0"}, "amount"),
        ({"from_user_id": ann, "to_user_id": ben, "amount": "-5"}, "amount"),
        ({"from_user_id": ann, "to_user_id": ben, "amount": "0.001"}, "amount"),
        ({"from_user_id": ann, "to_user_id": ben, "amount": "1e15"}, "amount"),
        ({"from_user_id": ann, "to_user_id": ben}, "amount"),
        ({"from_user_id": 0, "to_user_id": ben, "amount": "5"}, "from_user_id"),
        ({"from_user_id": ann, "to_user_id": 2**40, "amount": "5"}, "to_user_id"),
    ):
        answer = await client.post(url, headers=heads[0], json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert field in answer.json()["message"], (body, answer.text)
    assert (await client.get(url, headers=heads[0])).json() == []
    # Any member records one, either way; the list is newest first and paged.
    for amount, by in (("1.00", 0), ("2.00", 1), ("3.00", 0)):
        body = {"from_user_id": ben, "to_user_id": ann, "amount": amount}
        answer = await client.post(url, headers=heads[by], json=body)
        assert answer.status_code == 201, answer.text
        assert answer.json()["created_by"] == (ann, ben)[by]
    page = await client.get(url, headers=heads[1], params={"limit": 2})
    assert [s["amount"] for s in page.json()] == [3, 2]
    assert page.headers["X-Total-Count"] == "3"
    rest = await client.get(url, headers=heads[1], params={"limit": 2, "offset": 2})
    assert [s["amount"] for s in rest.json()] == [1] and rest.headers["X-Total-Count"] == "3"
    past = await client.get(url, headers=heads[1], params={"offset": 10})
    assert past.json() == [] and past.headers["X-Total-Count"] == "3"
    balances = exact(await client.get(f"/api/households/{home}/balances/", headers=heads[0]))
    assert balances["transfers"] == [{"from_user_id": ann, "to_user_id": ben, "amount": D(6)}]


async def test_non_members_and_ex_members_get_404(client):
    heads = [await make_user(client, name) for name in ("ann", "ben", "eve")]
    ann, ben, eve = [await user_id(client, h) for h in heads]
    home = await household(client, heads[:2])
    await spend(client, heads[1], home, "30.00")
    paths = [f"/api/households/{home}/balances/", f"/api/households/{home}/settlements/"]
    settlement = {"from_user_id": ann, "to_user_id": ben, "amount": "1"}
    for path in paths:
        assert (await client.get(path, headers=heads[2])).status_code == 404
    answer = await client.post(paths[1], headers=heads[2], json=settlement)
    assert answer.status_code == 404
    # A household that does not exist answers the same.
    assert (
        await client.get("/api/households/999999/balances/", headers=heads[0])
    ).status_code == 404
    # Nor can Eve split an expense in it.
    answer = await client.post(
        "/api/expenses/",
        headers=heads[2],
        json={"category": "x", "amount": "1", "household_id": home, "split": {str(eve): "1"}},
    )
    # Not a household of hers: 422 naming it, the same as for one that does not exist.
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["field"] == "household_id"
    # Ben leaves: he sees nothing more, but keeps his line in the balances.
    left = await client.delete(f"/api/households/{home}/members/{ben}/", headers=heads[1])
    assert left.status_code == 204, left.text
    for path in paths:
        assert (await client.get(path, headers=heads[1])).status_code == 404
    balances = exact(await client.get(paths[0], headers=heads[0]))
    lines = {int(m["user_id"]): (m["member"], m["balance"]) for m in balances["members"]}
    # Shares were fixed when the expense was recorded: Ben's leaving keeps Ann's half.
    assert lines == {ann: (True, D(-15)), ben: (False, D(15))}
    assert (await client.get(paths[0])).status_code == 401


async def test_changes_of_one_split_at_once_all_land_whole(client):
    heads = [await make_user(client, name) for name in ("ann", "ben", "cat")]
    ann, ben, cat = [await user_id(client, h) for h in heads]
    home = await household(client, heads)
    expense = await spend(client, heads[0], home, "12.00", split={str(ann): "1"})
    url = f"/api/expenses/{expense['id']}/"
    splits = [
        {str(ann): "0.5", str(ben): "0.5"},
        {str(ben): "0.25", str(cat): "0.75"},
        {str(ann): "0.2", str(ben): "0.3", str(cat): "0.5"},
    ] * 4

    async def change(split: dict[str, str]) -> int:
        answer = await client.patch(url, headers=heads[0], json={"split": split})
        return answer.status_code

    statuses = await asyncio.gather(*(change(split) for split in splits))
    assert statuses == [200] * len(splits)
    # One of the splits, whole: not two mixed, nor rows of both.
    stored = exact(await client.get(url, headers=heads[0]))["split"]
    assert stored in [{k: D(v) for k, v in split.items()} for split in splits]
    balances = exact(await client.get(f"/api/households/{home}/balances/", headers=heads[1]))
    assert sum(m["share"] for m in balances["members"]) == D(12)
