"""What a statement reader hands back: rows with exact amounts, and the lines it could not read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class StatementRow:
    line: int  # 1-based line in the file, a header included
    date: date
    amount: Decimal  # signed: negative is money out
    description: str
    currency: str | None = None  # ISO 4217, or None when neither the row nor the file says
    external_id: str | None = None  # the file's own id (OFX FITID, CAMT.053 ref, MT940 ref)
    category: str | None = None


@dataclass(frozen=True, slots=True)
class RowFailure:
    line: int
    reason: str


@dataclass(slots=True)
class Statement:
    format: str
    rows: list[StatementRow] = field(default_factory=list)
    failures: list[RowFailure] = field(default_factory=list)
