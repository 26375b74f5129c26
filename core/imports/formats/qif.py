"""QIF through quiffen. We only frame the file (records end at `^`, sections start at `!Type:`)
and hand each record to quiffen's `Transaction.from_list`, so one bad record fails alone with
its line number and the file is streamed line by line instead of loaded."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TextIO

from quiffen import Transaction

from core.exceptions import Invalid
from core.imports.formats.amounts import guess_decimal_mark, parse_amount
from core.imports.statement import RowFailure, StatementRow

# Sections that hold transactions; `!Type:Cat`, `!Type:Class`, `!Account` and the like do not.
_TRANSACTION_TYPES = {"bank", "cash", "ccard", "invst", "oth a", "oth l", "invoice"}
_AMOUNT_FIELDS = {"T", "U", "$"}
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
    lines: TextIO, *, day_first: bool, currency: str | None, decimal: str | None = None
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
                yield _row(record, record_line, day_first, currency, decimal)
            record = []
            continue
        if not record:
            record_line = number
        record.append(line)
    if not saw_section:
        raise Invalid("file: QIF without a !Type header", field="file")
    if record and section in _TRANSACTION_TYPES:  # a last record without its closing `^`
        yield _row(record, record_line, day_first, currency, decimal)


def _plain_amounts(record: list[str], decimal: str | None) -> list[str]:
    """quiffen drops every character but digits, `.` and `-` from an amount, which turns a
    European `1.234,56` into 1.23456; we hand it plain `-1234.56` instead."""
    plain = []
    for field in record:
        if field[:1] in _AMOUNT_FIELDS and field[1:].strip():
            value = field[1:]
            field = field[0] + str(parse_amount(value, decimal or guess_decimal_mark(value)))
        plain.append(field)
    return plain


def _row(
    record: list[str], line: int, day_first: bool, currency: str | None, decimal: str | None
) -> StatementRow | RowFailure:
    try:
        record = _plain_amounts(record, decimal)
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
