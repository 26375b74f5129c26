"""SWIFT MT940 through the `mt-940` package (amounts as Decimal, each :61: with its :86:).
It reads the whole text; MT940 files are daily or monthly statements of one account."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import date

import mt940

from core.exceptions import Invalid
from core.imports.formats.amounts import checked_amount
from core.imports.formats.text import brief
from core.imports.statement import RowFailure, StatementRow

# mt-940 logs the whole text of a tag it cannot read, at ERROR: one line of up to the
# upload cap, from the reader process too. The failure reaches the person as a failed
# line already (quoted briefly).
logging.getLogger("mt940").setLevel(logging.CRITICAL)

_STATEMENT_LINE = re.compile(r"^:61:", re.MULTILINE)
_NO_REFERENCE = {"", "NONREF"}


def read_mt940(text: str, currency: str | None) -> Iterator[StatementRow | RowFailure]:
    # The library keeps no positions: the n-th transaction is the n-th :61: line. The newlines
    # are counted once, between one :61: and the next.
    lines: list[int] = []
    number, counted = 1, 0
    for match in _STATEMENT_LINE.finditer(text):
        number += text.count("\n", counted, match.start())
        counted = match.start()
        lines.append(number)
    try:
        statement = mt940.parse(text)
    except Exception as exc:  # the library raises plain exceptions for a broken tag
        raise Invalid(
            f"file: not a readable MT940 statement ({brief(exc)})", field="file"
        ) from None
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
        try:  # 15 digits fit the :61: amount; finbot holds 12 before the point
            checked_amount(amount.amount, str(amount.amount))
        except ValueError as exc:
            yield RowFailure(line, f"amount: {exc}")
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
