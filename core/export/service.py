"""Everything a user has, to take elsewhere: JSON, or a ZIP of CSV files."""

import asyncio
import csv
import io
import zipfile
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.schemas import Me
from core.expenses.schemas import ExpenseOut
from core.export.repository import ExportRepository
from core.goals.schemas import GoalOut
from core.goals.service import goal_out
from core.incomes.schemas import IncomeOut
from core.models import Budget, Document, Expense, Goal, Income, Notification, Payment, User
from core.models.base import utcnow
from core.money import Money
from core.notifications.schemas import NotificationOut, UTCTimestamp
from core.payments.schemas import PaymentOut
from core.schemas import OutSchema


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
    exported_at: UTCTimestamp
    user: Me
    expenses: list[ExpenseOut]
    incomes: list[IncomeOut]
    budgets: list[BudgetRow]
    goals: list[GoalOut]
    notifications: list[NotificationOut]
    payments: list[PaymentOut]
    documents: list[DocumentRow]


async def collect(session: AsyncSession, user: User) -> ExportData:
    rows = ExportRepository(session)
    uid = user.id
    return ExportData(
        exported_at=utcnow(),
        user=Me.model_validate(user),
        expenses=[ExpenseOut.model_validate(e) for e in await rows.all_of(Expense, uid)],
        incomes=[IncomeOut.model_validate(i) for i in await rows.all_of(Income, uid)],
        budgets=[BudgetRow.model_validate(b) for b in await rows.all_of(Budget, uid)],
        goals=[goal_out(g, user.currency) for g in await rows.all_of(Goal, uid)],
        notifications=[NotificationOut.of(n) for n in await rows.all_of(Notification, uid)],
        payments=[PaymentOut.of(p) for p in await rows.all_of(Payment, uid)],
        documents=[DocumentRow.model_validate(d) for d in await rows.all_of(Document, uid)],
    )


def _cell(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return " ".join(map(str, value)) if isinstance(value, list) else str(value)
    return value


def _zip_of_csvs(data: ExportData) -> bytes:
    buffer = io.BytesIO()
    dumped = data.model_dump(mode="json")
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("user.csv", _csv([dumped["user"]]))
        for table in ("expenses", "incomes", "budgets", "goals", "notifications", "payments",
                      "documents"):  # fmt: skip
            archive.writestr(f"{table}.csv", _csv(dumped[table], fields_of(table)))
    return buffer.getvalue()


def fields_of(table: str) -> list[str]:
    """Column names even for an empty table, from its schema."""
    schema = ExportData.model_fields[table].annotation.__args__[0]  # type: ignore[union-attr]
    return [name for name in schema.model_fields]


def _csv(rows: list[dict[str, Any]], fields: list[str] | None = None) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields or list(rows[0]), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return out.getvalue()


async def as_zip(data: ExportData) -> bytes:
    return await asyncio.to_thread(_zip_of_csvs, data)
