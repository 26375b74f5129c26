"""Tags on expenses and incomes: lowercase words, `?tag=`, the summary's by_tag, the export."""

from __future__ import annotations

import io
import zipfile

import httpx

from tests.conftest import make_user


async def test_tags_are_kept_filtered_totalled_and_exported(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    async def spend(amount: str, tags: list[str] | None, day: str = "2024-03-02") -> dict:
        body: dict[str, object] = {"category": "food", "amount": amount, "date": day}
        if tags is not None:
            body["tags"] = tags
        answer = await client.post("/api/expenses/", headers=alice, json=body)
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    lunch = await spend("12.50", ["Work", "#trip", "work"])
    assert lunch["tags"] == ["trip", "work"]  # lowercase words, each once
    await spend("7.25", ["trip"])
    plain = await spend("3.00", None)
    assert plain["tags"] == []
    income = await client.post(
        "/api/incomes/",
        headers=alice,
        json={"source": "job", "amount": "100", "date": "2024-03-02", "tags": ["bonus"]},
    )
    assert income.json()["tags"] == ["bonus"]

    trip = await client.get("/api/expenses/?tag=trip", headers=alice)
    assert sorted(e["amount"] for e in trip.json()) == [7.25, 12.5]
    assert trip.headers["X-Total-Count"] == "2"
    assert [
        e["id"] for e in (await client.get("/api/expenses/?tag=WORK", headers=alice)).json()
    ] == [lunch["id"]]
    assert len((await client.get("/api/incomes/?tag=bonus", headers=alice)).json()) == 1
    assert (await client.get("/api/incomes/?tag=trip", headers=alice)).json() == []

    # PATCH replaces the tags; a PATCH of something else keeps them.
    patched = await client.patch(
        f"/api/expenses/{plain['id']}/", headers=alice, json={"tags": ["trip"]}
    )
    assert patched.json()["tags"] == ["trip"]
    kept = await client.patch(f"/api/expenses/{plain['id']}/", headers=alice, json={"amount": "4"})
    assert kept.json()["tags"] == ["trip"]
    shown = await client.get(f"/api/expenses/{lunch['id']}/", headers=alice)
    assert shown.json()["tags"] == ["trip", "work"]

    summary = await client.get("/api/reports/summary/?from=2024-03-01&to=2024-03-31", headers=alice)
    assert summary.json()["by_tag"] == [
        {"tag": "trip", "total": 23.75},
        {"tag": "work", "total": 12.5},
    ]

    exported = await client.get("/api/export/", headers=alice)
    assert sorted(tuple(e["tags"]) for e in exported.json()["expenses"]) == [
        ("trip",), ("trip",), ("trip", "work"),
    ]  # fmt: skip
    assert exported.json()["incomes"][0]["tags"] == ["bonus"]
    archive = await client.get("/api/export/?format=csv", headers=alice)
    with zipfile.ZipFile(io.BytesIO(archive.content)) as files:
        expenses_csv = files.read("expenses.csv").decode()
    assert "tags" in expenses_csv.splitlines()[0] and "trip work" in expenses_csv

    # Bob sees none of it.
    bob = await make_user(client, "bob")
    assert (await client.get("/api/expenses/?tag=trip", headers=bob)).json() == []


async def test_a_bad_tag_is_422_naming_tags(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    for tags in (["two words"], ["x" * 40], [""], "trip"):
        answer = await client.post(
            "/api/expenses/",
            headers=alice,
            json={"category": "food", "amount": "1", "tags": tags},
        )
        assert answer.status_code == 422, (tags, answer.text)
        assert "tags" in answer.text
