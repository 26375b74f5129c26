from datetime import datetime
from typing import Any

from pydantic import BaseModel

from core.schemas import OutSchema


class Failure(BaseModel):
    line: int
    reason: str


class ImportOut(OutSchema):
    id: int | None  # None for a dry run: nothing was stored
    format: str
    filename: str
    created: int
    expenses: int
    incomes: int
    duplicates: int
    failed: list[Failure]
    created_at: datetime | None = None


def import_out(imported: Any) -> ImportOut:
    return ImportOut(
        id=imported.id,
        format=imported.format,
        filename=imported.filename,
        created=imported.expenses + imported.incomes,
        expenses=imported.expenses,
        incomes=imported.incomes,
        duplicates=imported.duplicates,
        failed=[Failure(**failure) for failure in imported.failed],
        created_at=imported.created_at,
    )
