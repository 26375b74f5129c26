"""OFX/QFX 1.x (SGML) and 2.x (XML) through ofxtools. Its parser is a regex tokenizer, not an
XML processor, so entities are never expanded; a DTD or entity declaration is refused anyway.
ofxtools reads the whole file (OFX statements are small: months of one account)."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

from ofxtools.models.base import Aggregate
from ofxtools.Parser import OFXTree

from core.exceptions import Invalid
from core.imports.statement import RowFailure, StatementRow

_DECLARATION = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_STMTTRN = re.compile(rb"<STMTTRN>", re.IGNORECASE)


def _transaction_lines(raw: bytes) -> list[int]:
    """The line each <STMTTRN> opens on, in file order (ofxtools keeps no positions)."""
    return [raw.count(b"\n", 0, match.start()) + 1 for match in _STMTTRN.finditer(raw)]


def read_ofx(stream: BinaryIO, currency: str | None) -> Iterator[StatementRow | RowFailure]:
    raw = stream.read()
    if _DECLARATION.search(raw):
        raise Invalid("file: OFX with a DTD or entity declarations is refused", field="file")
    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(raw))
    except Exception as exc:  # ofxtools raises several unrelated types for a broken file
        raise Invalid(f"file: not a readable OFX file ({exc})", field="file") from None
    lines = iter(_transaction_lines(raw))
    root = tree.getroot()
    if root is None:
        raise Invalid("file: an OFX file without an <OFX> body", field="file")
    # A file may hold several statements (bank and card); each says its own currency.
    for statement in root.iter():
        if statement.tag not in ("STMTRS", "CCSTMTRS"):
            continue
        file_currency = statement.findtext("CURDEF") or currency
        transactions = statement.find("BANKTRANLIST")
        if transactions is None:
            continue
        for element in transactions.findall("STMTTRN"):
            line = next(lines, 0)
            try:
                transaction = Aggregate.from_etree(element)
            except Exception as exc:  # one bad transaction fails alone
                yield RowFailure(line, f"transaction: {exc}")
                continue
            yield _row(line, element, transaction, file_currency)


def _row(
    line: int, element: ET.Element, transaction: Any, file_currency: str | None
) -> StatementRow:
    # The date as the bank wrote it: ofxtools turns DTPOSTED into UTC, which can move a
    # midnight posting in a positive offset to the previous day.
    posted_text = (element.findtext("DTPOSTED") or "").strip()
    posted = datetime.strptime(posted_text[:8], "%Y%m%d").date()
    names = [transaction.name, transaction.memo]
    description = " / ".join(str(part).strip() for part in names if part)
    # <CURRENCY> means the amount is in that currency; <ORIGCURRENCY> only tells where it came
    # from (the amount is already in the statement's currency).
    row_currency = transaction.currency.cursym if transaction.currency is not None else None
    return StatementRow(
        line=line,
        date=posted,
        amount=transaction.trnamt,  # ofxtools gives a Decimal
        description=description or (transaction.trntype or ""),
        currency=row_currency or file_currency,
        external_id=transaction.fitid,
    )
