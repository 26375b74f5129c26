"""QIF through quiffen. We only frame the file (records end at `^`, sections start at `!Type:`)
and hand each record to quiffen's `Transaction.from_list`, so one bad record fails alone with
its line number and the file is streamed line by line instead of loaded."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TextIO

from quiffen import Transaction

from core.exceptions import Invalid
from core.imports.statement import RowFailure, StatementRow

# Sections that hold transactions; `!Type:Cat`, `!Type:Class`, `!Account` and the like do not.
_TRANSACTION_TYPES = {"bank", "cash", "ccard", "invst", "oth a", "oth l", "invoice"}
_DATE_PARTS = re.compile(r"^D\s*(\d{1,2})\s*[/.\-']\s*(\d{1,2})")


def qif_day_first(lines: TextIO, date_format: str | None) -> bool:
    """QIF came from US software (month first); a date with a first part over 12 says otherwise."""
    if date_format:
        return date_format.lstrip().startswith("%d")
    day_first = False
    for line in lines:
        match = _DATE_PARTS.match(line)
        if match is None:
            continue
        first, second = int(match.group(1)), int(match.group(2))
        if second > 12:
            return False
        if first > 12:
            day_first = True
    return day_first


def read_qif(
    lines: TextIO, *, day_first: bool, currency: str | None
) -> Iterator[StatementRow | RowFailure]:
    section: str | None = None
    record: list[str] = []
    record_line = 0
    saw_section = False
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        if line.startswith("!"):
            header = line[1:].strip().casefold()
            saw_section = True
            section = header.split(":", 1)[1].strip() if header.startswith("type:") else None
            record = []
            continue
        if line.startswith("^"):
            if record and section in _TRANSACTION_TYPES:
                yield _row(record, record_line, day_first, currency)
            record = []
            continue
        if not record:
            record_line = number
        record.append(line)
    if not saw_section:
        raise Invalid("file: QIF without a !Type header", field="file")
    if record and section in _TRANSACTION_TYPES:  # a last record without its closing `^`
        yield _row(record, record_line, day_first, currency)


def _row(
    record: list[str], line: int, day_first: bool, currency: str | None
) -> StatementRow | RowFailure:
    try:
        transaction, _classes = Transaction.from_list(record, day_first=day_first)
    except Exception as exc:  # quiffen raises ValueError or pydantic's errors for a bad record
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return RowFailure(line, f"record: {reason}")
    parts = [transaction.payee, transaction.memo]
    category = transaction.category.name if transaction.category is not None else None
    return StatementRow(
        line=line,
        date=transaction.date.date(),
        amount=transaction.amount,  # quiffen parses the T field straight into a Decimal
        description=" / ".join(str(part).strip() for part in parts if part),
        currency=currency,
        external_id=None,  # QIF has no transaction id
        category=category,
    )
