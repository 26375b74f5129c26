"""QIF through quiffen. We only frame the file (records end at `^`, sections start at `!Type:`)
and hand each record to quiffen's `Transaction.from_list`, so one bad record fails alone with
its line number and the file is streamed line by line instead of loaded.

quiffen builds a pydantic model per split and per category level, re-validating the chain on
each one, and hands a date to dateutil: time grows faster than the record on a long date, a
deep category path, many categories or many lines, and a record of many split categories costs
milliseconds. So quiffen is not handed split lines (we import the transaction's total, never
its splits), and a record past the limits below fails before it gets there (no bank's record
comes near them): time stays linear in the file, at about the cost of a plain record."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TextIO

from quiffen import Transaction

from core.exceptions import Invalid
from core.imports.formats.amounts import guess_decimal_mark, parse_amount
from core.imports.formats.text import brief, quoted
from core.imports.statement import RowFailure, StatementRow

# Sections that hold transactions; `!Type:Cat`, `!Type:Class`, `!Account` and the like do not.
_TRANSACTION_TYPES = {"bank", "cash", "ccard", "invst", "oth a", "oth l", "invoice"}
_AMOUNT_FIELDS = {"T", "U"}  # quiffen's own reading drops an `e`: 1e30 -> 130
_SPLIT_FIELDS = {"S", "E", "$", "£", "%"}
_ONCE_FIELDS = {"D", "1", "L"}  # quiffen nests a second L under the first
_DATE_FIELDS = {"D", "1"}
MAX_RECORD_LINES = 100  # a split transaction: three lines a split
_DATE_CHARS = 40
MAX_CATEGORY_LEVELS = 8  # `Food:Groceries` is two
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
        if len(record) <= MAX_RECORD_LINES:  # one more tells _check_size it is too long
            record.append(line)
    if not saw_section:
        raise Invalid("file: QIF without a !Type header", field="file")
    if record and section in _TRANSACTION_TYPES:  # a last record without its closing `^`
        yield _row(record, record_line, day_first, currency, decimal)


def _for_quiffen(record: list[str], decimal: str | None) -> list[str]:
    """The record's own lines, checked (module doc), without its split lines, and with plain
    amounts: quiffen drops every character but digits, `.` and `-` from an amount, which turns
    a European `1.234,56` into 1.23456 and `1e30` into 130; we hand it `-1234.56`."""
    if len(record) > MAX_RECORD_LINES:
        raise ValueError(f"more than {MAX_RECORD_LINES} lines")
    seen: set[str] = set()
    kept = []
    for field in record:
        code, value = field[:1], field[1:]
        if code in _SPLIT_FIELDS:
            continue
        if code in _ONCE_FIELDS:
            if code in seen:
                raise ValueError(f"{code}: a second one")
            seen.add(code)
        if code in _DATE_FIELDS and len(value.strip()) > _DATE_CHARS:
            raise ValueError(f"{code}: {quoted(value.strip())} is not a date")
        if code == "L" and value.count(":") >= MAX_CATEGORY_LEVELS:
            raise ValueError(f"L: a category more than {MAX_CATEGORY_LEVELS} levels deep")
        if code in _AMOUNT_FIELDS and value.strip():
            field = code + str(parse_amount(value, decimal or guess_decimal_mark(value)))
        kept.append(field)
    return kept


def _row(
    record: list[str], line: int, day_first: bool, currency: str | None, decimal: str | None
) -> StatementRow | RowFailure:
    try:
        record = _for_quiffen(record, decimal)
        transaction, _classes = Transaction.from_list(record, day_first=day_first)
    except Exception as exc:  # quiffen raises ValueError or pydantic's errors for a bad record
        return RowFailure(line, f"record: {brief(exc)}")
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
