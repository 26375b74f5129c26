"""POST /api/imports/ over a fixture per format, dedupe, all-or-nothing, undo, isolation."""
# ruff: noqa: E501  (the table reads best one file a line)

from __future__ import annotations

import asyncio
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.expenses.schemas import ExpenseCreate
from tests.conftest import make_user

FIXTURES = Path(__file__).parents[1] / "core" / "fixtures" / "statements"
CURRENCY_KEPT = "currency" in ExpenseCreate.model_fields


async def post_file(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    name: str,
    content: bytes | None = None,
    **form: str,
) -> httpx.Response:
    data = content if content is not None else (FIXTURES / name).read_bytes()
    return await client.post(
        "/api/imports/", headers=headers, files={"file": (name, data)}, data=form
    )


async def set_currency(client: httpx.AsyncClient, headers: dict[str, str], code: str) -> None:
    answer = await client.patch("/api/auth/me/", headers=headers, json={"currency": code})
    assert answer.status_code == 200, answer.text


async def everything(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> tuple[list[Any], list[Any]]:
    spent = await client.get("/api/expenses/?limit=1000", headers=headers)
    earned = await client.get("/api/incomes/?limit=1000", headers=headers)
    return spent.json(), earned.json()


# (file, form, the person's currency, expenses as (date, amount, description start),
#  incomes likewise, failed lines, rows in another currency (failed unless currencies are kept))
CASES: list[tuple[str, dict[str, str], str, list[tuple[str, str, str]], list[tuple[str, str, str]], list[int], list[int]]] = [
    ("sparkasse_cp1252.csv", {}, "EUR",
     [("2024-01-02", "1234.56", "Hausverwaltung"), ("2024-01-03", "4.90", "Bäckerei Müller"), ("2024-01-16", "37.15", "REWE")],
     [("2024-01-15", "2500.00", "Arbeitgeber AG")], [4], []),
    ("dkb_bom.csv", {}, "EUR",
     [("2024-01-30", "23.40", "UBER *TRIP 4X8Q"), ("2024-01-29", "23.40", "UBER *TRIP 9ZZ1"), ("2024-01-29", "23.40", "UBER *TRIP 9ZZ1")],
     [("2024-01-25", "1045.00", "Jana Kühn")], [], []),
    ("nationwide_debit_credit.csv", {"currency": "GBP"}, "GBP",
     [("2024-01-05", "12.50", "TESCO"), ("2024-01-07", "38.00", "THAMES WATER"), ("2024-01-08", "1049.99", "AMAZON")],
     [("2024-01-06", "2150.00", "ACME LTD SALARY")], [10], []),
    ("chase_us.csv", {}, "USD",
     [("2024-01-02", "5.75", "STARBUCKS"), ("2024-01-04", "1200.00", "Zelle"), ("2024-01-05", "1234.56", "COSTCO")],
     [("2024-01-03", "2450.00", "ACME CORP PAYROLL")], [], []),
    ("custom_mapping.csv", {"mapping": '{"date": "When", "debit": "Out", "credit": "In", "description": "What", "category": "Kind", "currency": "Cur"}'}, "CHF",
     [("2024-03-01", "3.80", "Coffee Corner"), ("2024-03-02", "1800.00", "Landlord AG")],
     [("2024-03-03", "24.95", "Refund Migros")], [], []),
    ("monzo.csv", {}, "GBP",
     [("2024-01-02", "4.35", "Pret A Manger"), ("2024-01-04", "89.99", "Ryanair")],
     [("2024-01-03", "250.00", "Alex Doe")], [], []),
    ("checking_v1.qfx", {}, "USD",
     [("2024-01-02", "5.75", "STARBUCKS"), ("2024-01-07", "0.10", "BANK FEE")],
     [("2024-01-03", "2450.00", "ACME CORP PAYROLL")], [], [55]),
    ("card_v2.ofx", {}, "EUR",
     [("2024-02-03", "23.40", "UBER *TRIP 4X8Q")],
     [("2024-02-15", "50.00", "REFUND ZALANDO")], [29], []),  # -1.234 EUR has too many places
    ("checking.qif", {"currency": "USD"}, "USD",
     [("2024-01-02", "5.75", "STARBUCKS"), ("2024-01-13", "1234.56", "COSTCO")],
     [("2024-01-15", "2450.00", "ACME CORP PAYROLL")], [13], []),
    ("statement.camt053.xml", {}, "EUR",
     [("2024-01-02", "1234.56", "Hausverwaltung")],
     [("2024-01-15", "2500.00", "Arbeitgeber AG")], [65], [57]),
    ("statement.mt940", {}, "EUR",
     [("2024-01-02", "1234.56", "Hausverwaltung"), ("2024-01-20", "4.90", "Baeckerei")],
     [("2024-01-15", "2500.00", "Arbeitgeber AG")], [], []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "form", "currency", "spent", "earned", "failed", "foreign"),
    CASES,
    ids=[case[0] for case in CASES],
)
async def test_each_format_imports_exactly_and_only_once(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    name: str,
    form: dict[str, str],
    currency: str,
    spent: list[tuple[str, str, str]],
    earned: list[tuple[str, str, str]],
    failed: list[int],
    foreign: list[int],
) -> None:
    await set_currency(client, alice, currency)
    answer = await post_file(client, alice, name, None, **form)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    # Without per-entry currencies, a row in another currency is refused, not mislabelled.
    failed_lines = sorted(failed + ([] if CURRENCY_KEPT else foreign))
    assert [f["line"] for f in body["failed"]] == failed_lines
    assert all(f["reason"] for f in body["failed"])
    extra = len(foreign) if CURRENCY_KEPT else 0
    assert body["expenses"] + body["incomes"] == body["created"]
    assert body["created"] == len(spent) + len(earned) + extra
    assert body["duplicates"] == 0
    expenses, incomes = await everything(client, alice)
    got_spent = sorted((e["date"], Decimal(str(e["amount"]))) for e in expenses)
    got_earned = sorted((i["date"], Decimal(str(i["amount"]))) for i in incomes)
    if not CURRENCY_KEPT:
        assert got_spent == sorted((d, Decimal(a)) for d, a, _ in spent)
        assert got_earned == sorted((d, Decimal(a)) for d, a, _ in earned)
    # The file's own category column counts when no rule or learning knows better.
    filed = {"Coffee Corner": "food", "Landlord AG": "housing", "Pret A Manger": "Eating out"}
    filed |= {"Ryanair": "Transport"}
    if name == "checking.qif":
        filed |= {"STARBUCKS": "Coffee", "COSTCO": "Groceries"}
    for day, amount, text in spent:
        assert any(
            e["date"] == day
            and Decimal(str(e["amount"])) == Decimal(amount)
            and e["description"].startswith(text)
            and e["category"] == filed.get(text, "other")
            for e in expenses
        ), (day, amount, text)

    again = await post_file(client, alice, name, None, **form)
    assert again.status_code == 201, again.text
    assert again.json()["created"] == 0
    assert again.json()["duplicates"] == body["created"]
    assert await everything(client, alice) == (expenses, incomes)


async def test_overlapping_statement_adds_only_new_rows(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    header = "Date,Description,Amount\n"
    january = "2024-01-02,COFFEE BAR,-3.50\n2024-01-02,COFFEE BAR,-3.50\n2024-01-03,BOOKS,-12.00\n"
    first = await post_file(client, alice, "a.csv", (header + january).encode())
    assert first.json()["created"] == 3  # two identical rows in one file are two coffees
    later = january + "2024-01-04,BAKERY,-2.20\n2024-01-02,COFFEE BAR,-3.50\n"
    second = await post_file(client, alice, "b.csv", (header + later).encode())
    body = second.json()
    # The third identical coffee that day is new; the others were brought in before.
    assert (body["created"], body["duplicates"]) == (2, 3), body
    expenses, _ = await everything(client, alice)
    assert sorted(e["description"] for e in expenses) == [
        "BAKERY", "BOOKS", "COFFEE BAR", "COFFEE BAR", "COFFEE BAR",
    ]  # fmt: skip


async def test_bad_rows_listed_by_line_and_garbage_is_422(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    content = (
        b"Date,Description,Amount\n2024-01-02,TEA,-2.00\nnot a date,X,-1\n2024-01-04,JAM,-3.00\n"
    )
    answer = await post_file(client, alice, "s.csv", content)
    assert answer.status_code == 201, answer.text
    assert [f["line"] for f in answer.json()["failed"]] == [3]
    assert answer.json()["created"] == 2
    for garbage in ("garbage.txt", "garbage.bin"):
        refused = await post_file(client, alice, garbage)
        assert refused.status_code == 422, refused.text
        assert "file" in refused.text
    bad_option = await post_file(client, alice, "s.csv", content, decimal=";")
    assert bad_option.status_code == 422 and "decimal" in bad_option.text
    assert len((await everything(client, alice))[0]) == 2


@pytest.mark.parametrize("name", ["bomb.camt053.xml", "xxe.camt053.xml", "xxe_v2.ofx"])
async def test_hostile_xml_is_refused(
    client: httpx.AsyncClient, alice: dict[str, str], name: str
) -> None:
    answer = await post_file(client, alice, name)
    assert answer.status_code == 422, answer.text
    assert await everything(client, alice) == ([], [])


async def test_oversized_file_is_413(
    client: httpx.AsyncClient, alice: dict[str, str], app: Any
) -> None:
    limit = app.state.settings.max_upload_bytes
    row = b"2024-01-02,COFFEE,-1.00\n"
    content = b"Date,Description,Amount\n" + row * (limit // len(row) + 1)
    answer = await post_file(client, alice, "big.csv", content)
    assert answer.status_code == 413, answer.text
    assert await everything(client, alice) == ([], [])


async def test_dry_run_counts_and_stores_nothing(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    preview = await post_file(client, alice, "statement.mt940", dry_run="true")
    assert preview.status_code == 200, preview.text
    assert (preview.json()["id"], preview.json()["created"]) == (None, 3)
    assert await everything(client, alice) == ([], [])
    assert (await client.get("/api/imports/", headers=alice)).json() == []
    real = await post_file(client, alice, "statement.mt940")
    assert real.json()["created"] == 3  # the preview claimed no keys


async def test_list_show_undo_and_isolation(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    bob = await make_user(client, "bob")
    manual = await client.post(
        "/api/expenses/", headers=alice,
        json={"category": "food", "amount": "9.99", "date": "2024-01-02", "description": "lunch"},
    )  # fmt: skip
    first = (await post_file(client, alice, "statement.mt940")).json()
    second = (await post_file(client, alice, "dkb_bom.csv")).json()
    listed = await client.get("/api/imports/", headers=alice)
    assert [i["id"] for i in listed.json()] == [second["id"], first["id"]]
    assert listed.headers["X-Total-Count"] == "2"
    shown = await client.get(f"/api/imports/{first['id']}/", headers=alice)
    assert shown.json()["created"] == 3 and shown.json()["format"] == "mt940"

    for method in ("GET", "DELETE"):
        other = await client.request(method, f"/api/imports/{first['id']}/", headers=bob)
        assert other.status_code == 404
    # Bob's own copy of the same statement is his: keys are per user.
    assert (await post_file(client, bob, "statement.mt940")).json()["created"] == 3

    undone = await client.delete(f"/api/imports/{first['id']}/", headers=alice)
    assert undone.status_code == 204
    assert (await client.get(f"/api/imports/{first['id']}/", headers=alice)).status_code == 404
    expenses, incomes = await everything(client, alice)
    assert sorted(e["description"][:4] for e in expenses) == ["UBER"] * 3 + ["lunc"]
    assert [i["description"][:4] for i in incomes] == ["Jana"]
    assert manual.json()["id"] in [e["id"] for e in expenses]
    # Undone, the statement can come in again.
    assert (await post_file(client, alice, "statement.mt940")).json()["created"] == 3
    assert len((await everything(client, bob))[0]) == 2


async def test_all_or_nothing(
    client: httpx.AsyncClient, alice: dict[str, str], app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import that fails after its first thousand rows are written leaves nothing."""
    from sqlalchemy import select

    from core.expenses.service import expenses
    from core.imports.service import ImportOptions, import_statement
    from core.models import User

    rows = "".join(f"2024-01-02,SHOP {n},-1.00\n" for n in range(2500))
    content = io.BytesIO(("Date,Description,Amount\n" + rows).encode())
    written: list[int] = []
    create_many = expenses.create_many

    async def fail_after_first_step(*args: Any, **kwargs: Any) -> list[int]:
        if written:
            raise RuntimeError("the connection dropped")
        ids = await create_many(*args, **kwargs)
        written.append(len(ids))
        return ids

    monkeypatch.setattr(expenses, "create_many", fail_after_first_step)
    database = app.state.database
    with pytest.raises(RuntimeError):
        async with database.session() as session:
            user = (
                await session.execute(select(User).where(User.username == "alice"))
            ).scalar_one()
            await import_statement(session, user, content, "s.csv", 10**8, ImportOptions())
    assert written == [1000]
    monkeypatch.undo()
    assert await everything(client, alice) == ([], [])
    assert (await client.get("/api/imports/", headers=alice)).json() == []
    again = await post_file(client, alice, "s.csv", content.getvalue())
    assert again.json()["created"] == 2500  # no key of the failed import stayed behind


async def test_budget_alerts_once_per_threshold(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    await client.post("/api/rules/", headers=alice, json={"contains": "coffee", "category": "cafe"})
    await client.post(
        "/api/budgets/", headers=alice, json={"category": "cafe", "limit": "10", "period": "yearly"}
    )
    today = (await client.get("/api/reports/summary/", headers=alice)).json()["to"]
    rows = "".join(f"{today},COFFEE {n},-1.00\n" for n in range(30))
    answer = await post_file(client, alice, "c.csv", ("Date,Description,Amount\n" + rows).encode())
    assert answer.json()["created"] == 30, answer.text
    notes = (await client.get("/api/notifications/", headers=alice)).json()
    assert len(notes) == 2, notes  # 80 % and 100 %, not one per row


async def test_concurrent_imports_of_one_file_bring_it_in_once(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    answers = await asyncio.gather(*(post_file(client, alice, "statement.mt940") for _ in range(3)))
    assert all(a.status_code == 201 for a in answers), [a.text for a in answers]
    assert sum(a.json()["created"] for a in answers) == 3
    expenses, incomes = await everything(client, alice)
    assert (len(expenses), len(incomes)) == (2, 1)


UNORDERED = b"""Date,Description,Amount
2024-01-05,COFFEE BAR,-3.20
2024-01-06,BAKERY,-2.00
2024-01-05,COFFEE BAR,-3.20
2024-01-07,BAKERY,-2.00
2024-01-05,COFFEE BAR,-3.20
"""


async def import_in_steps(app: Any, username: str, content: bytes, step_rows: int) -> Any:
    """Through the service, `step_rows` rows a step: identical rows land in different steps."""
    from sqlalchemy import select

    from core.imports.service import ImportOptions, import_statement
    from core.models import User

    async with app.state.database.session() as session:
        user = (await session.execute(select(User).where(User.username == username))).scalar_one()
        source = io.BytesIO(content)
        return await import_statement(
            session, user, source, "s", 10**6, ImportOptions(), step_rows=step_rows
        )


async def stored_keys(app: Any, import_id: int) -> set[str]:
    from sqlalchemy import select

    from core.models import ImportEntry

    async with app.state.database.session() as session:
        found = await session.scalars(
            select(ImportEntry.dedupe_key).where(ImportEntry.import_id == import_id)
        )
        return set(found)


async def test_identical_rows_are_counted_across_steps_as_in_one_pass(
    client: httpx.AsyncClient, alice: dict[str, str], app: Any
) -> None:
    from core.imports import dedupe_keys, read_statement

    # Three identical coffees on the 5th, in three steps of a file not ordered by date.
    first = await import_in_steps(app, "alice", UNORDERED, step_rows=2)
    assert (first.expenses, first.duplicates) == (5, 0)
    whole_file = set(dedupe_keys(read_statement(UNORDERED).rows))
    assert await stored_keys(app, first.id) == whole_file  # the keys a single pass gives
    # The same file in one step: nothing new.
    again = await post_file(client, alice, "s.csv", UNORDERED)
    assert (again.json()["created"], again.json()["duplicates"]) == (0, 5)
    # A fourth coffee that day, one row a step: only it is new.
    longer = UNORDERED + b"2024-01-05,COFFEE BAR,-3.20\n"
    fourth = await import_in_steps(app, "alice", longer, step_rows=1)
    assert (fourth.expenses, fourth.duplicates) == (1, 5)
    coffees = [e for e in (await everything(client, alice))[0] if e["description"] == "COFFEE BAR"]
    assert len(coffees) == 4


async def test_a_file_id_repeated_in_a_later_step_is_a_duplicate(
    client: httpx.AsyncClient, alice: dict[str, str], app: Any
) -> None:
    # The refund carries the first row's FITID: one transaction, whatever the step size.
    content = (
        (FIXTURES / "card_v2.ofx").read_bytes().replace(b"CC-2024-02-15-003", b"CC-2024-02-03-001")
    )
    counts = []
    for step_rows in (1, 1000):
        imported = await import_in_steps(app, "alice", content, step_rows)
        counts.append(
            (imported.expenses, imported.incomes, imported.duplicates, len(imported.failed))
        )
        await client.delete(f"/api/imports/{imported.id}/", headers=alice)
    assert counts == [(1, 0, 1, 1), (1, 0, 1, 1)]  # the café's 1.234 EUR fails
