"""Everything a user has, to take elsewhere: JSON, or a ZIP of CSV files.

Both are streamed: rows are read in batches (each in its own short transaction)
and sent as they are encoded, so an export costs the memory of one batch,
whatever its size.
"""

import asyncio
import csv
import io
import zipfile
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from core.auth.schemas import Me
from core.db import Database
from core.expenses.schemas import ExpenseOut
from core.export.repository import ExportRepository
from core.goals.schemas import GoalOut
from core.goals.service import goal_out
from core.incomes.schemas import IncomeOut
from core.models import Budget, Document, Expense, Goal, Income, Notification, Payment
from core.money import Money
from core.notifications.schemas import NotificationOut, UTCTimestamp
from core.payments.schemas import PaymentOut
from core.schemas import OutSchema
from core.tags.repository import TagRepository

BATCH_SIZE = 500


class BudgetRow(OutSchema):
    id: int
    category: str
    limit: Money
    period: str
    created_at: UTCTimestamp


class DocumentRow(OutSchema):
    document_id: str = Field(validation_alias="id")
    filename: str
    content_type: str
    size: int
    expense_id: int | None
    created_at: UTCTimestamp


class ExportData(BaseModel):
    """The JSON export's shape (documented; the answer is streamed in this shape)."""

    exported_at: UTCTimestamp
    user: Me
    expenses: list[ExpenseOut]
    incomes: list[IncomeOut]
    budgets: list[BudgetRow]
    goals: list[GoalOut]
    notifications: list[NotificationOut]
    payments: list[PaymentOut]
    documents: list[DocumentRow]


class _Header(BaseModel):
    exported_at: UTCTimestamp
    user: Me


def tables(currency: str) -> list[tuple[str, Any, Callable[[Any], BaseModel]]]:
    """Each exported table and how a row of it is shown (goals say the base currency)."""
    return [
        ("expenses", Expense, ExpenseOut.model_validate),
        ("incomes", Income, IncomeOut.model_validate),
        ("budgets", Budget, BudgetRow.model_validate),
        ("goals", Goal, lambda goal: goal_out(goal, currency)),
        ("notifications", Notification, NotificationOut.of),
        ("payments", Payment, PaymentOut.of),
        ("documents", Document, DocumentRow.model_validate),
    ]


TAGGED: dict[Any, str] = {Expense: "expense", Income: "income"}


async def _batches(
    database: Database, model: Any, present: Callable[[Any], BaseModel], user_id: int
) -> AsyncIterator[list[BaseModel]]:
    after = None
    while True:
        async with database.session() as session:
            rows = await ExportRepository(session).batch_after(model, user_id, after, BATCH_SIZE)
            shown = [present(row) for row in rows]
            if kind := TAGGED.get(model):  # tags live in a table of their own
                tags = await TagRepository(session).of(kind, [row.id for row in rows])
                shown = [
                    item.model_copy(update={"tags": tags.get(row.id, [])})
                    for item, row in zip(shown, rows, strict=True)
                ]
        if shown:
            yield shown
        if len(rows) < BATCH_SIZE:
            return
        after = rows[-1].id


async def json_stream(database: Database, user: Me, exported_at: datetime) -> AsyncIterator[bytes]:
    """The JSON export, piece by piece; texts are exactly as stored."""
    header = _Header(exported_at=exported_at, user=user).model_dump_json()
    yield header[:-1].encode()  # the object stays open for the tables
    for table, model, present in tables(user.currency):
        yield f',"{table}":['.encode()
        first = True
        async for batch in _batches(database, model, present, user.id):
            rows = ",".join(item.model_dump_json() for item in batch)
            yield (rows if first else "," + rows).encode()
            first = False
        yield b"]"
    yield b"}"


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """One value as a CSV cell: lists joined, and text that a spreadsheet would run as a
    formula neutralised with a leading apostrophe (OWASP's advice). Numbers stay numbers."""
    if isinstance(value, list):
        value = " ".join(map(str, value))
    elif isinstance(value, dict):
        value = str(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def fields_of(table: str) -> list[str]:
    """Column names even for an empty table, from its schema."""
    schema = ExportData.model_fields[table].annotation.__args__[0]  # type: ignore[union-attr]
    return [name for name in schema.model_fields]


def _csv_text(fields: list[str], rows: list[dict[str, Any]], header: bool) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
    if header:
        writer.writeheader()
    for row in rows:
        writer.writerow({k: csv_cell(v) for k, v in row.items()})
    return out.getvalue().encode()


class _Chunks(io.RawIOBase):
    """A write-only, unseekable file whose bytes are handed on as they come."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        taken, self.parts = b"".join(self.parts), []
        return taken


async def zip_stream(database: Database, user: Me, exported_at: datetime) -> AsyncIterator[bytes]:
    """The CSV export: one CSV per table in a ZIP, written as the rows come."""
    sink = _Chunks()
    # An unseekable target: zipfile writes each member's sizes after its data.
    archive = zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED)
    me = user.model_dump(mode="json")
    archive.writestr("user.csv", _csv_text(list(me), [me], header=True))
    yield sink.take()
    for table, model, present in tables(user.currency):
        fields = fields_of(table)
        with archive.open(f"{table}.csv", "w") as member:
            member.write(_csv_text(fields, [], header=True))
            async for batch in _batches(database, model, present, user.id):
                text = _csv_text(fields, [item.model_dump(mode="json") for item in batch], False)
                await asyncio.to_thread(member.write, text)  # deflate off the loop
                yield sink.take()
        yield sink.take()
    archive.close()
    yield sink.take()
