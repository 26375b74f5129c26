"""SWIFT MT940 through the `mt-940` package (amounts as Decimal, each :61: with its :86:).
It reads the whole text; MT940 files are daily or monthly statements of one account."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import mt940

from core.exceptions import Invalid
from core.imports.statement import RowFailure, StatementRow

_STATEMENT_LINE = re.compile(r"^:61:", re.MULTILINE)
_NO_REFERENCE = {"", "NONREF"}


def read_mt940(text: str, currency: str | None) -> Iterator[StatementRow | RowFailure]:
    # The library keeps no positions: the n-th transaction is the n-th :61: line.
    lines = [text.count("\n", 0, match.start()) + 1 for match in _STATEMENT_LINE.finditer(text)]
    try:
        statement = mt940.parse(text)
    except Exception as exc:  # the library raises plain exceptions for a broken tag
        raise Invalid(f"file: not a readable MT940 statement ({exc})", field="file") from None
    parsed = list(statement)
    if len(parsed) < len(lines):
        # A :61: the library's pattern did not match was dropped; we cannot tell which one.
        raise Invalid("file: an MT940 statement line (:61:) could not be read", field="file")
    for line, transaction in zip(lines, parsed, strict=False):
        data = transaction.data
        amount = data.get("amount")
        booked = data.get("entry_date") or data.get("date")
        if amount is None or booked is None:
            yield RowFailure(line, ":61: without an amount or a date")
            continue
        # Banks that structure :86: (the German ?20..?32 subfields) give name and purpose apart.
        parts = [data.get("applicant_name"), data.get("purpose")]
        if not any(parts):
            parts = [data.get("transaction_details") or data.get("posting_text")]
        description = " / ".join(" ".join(str(part).split()) for part in parts if part)
        reference = next(
            (
                str(ref).strip()
                for ref in (data.get("bank_reference"), data.get("customer_reference"))
                if ref and str(ref).strip().upper() not in _NO_REFERENCE
            ),
            None,
        )
        yield StatementRow(
            line=line,
            date=date(booked.year, booked.month, booked.day),  # a plain date, not the library's
            amount=amount.amount,
            description=description,
            currency=amount.currency or currency,
            external_id=reference,
        )
