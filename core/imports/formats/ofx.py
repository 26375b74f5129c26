"""OFX/QFX 1.x (SGML) and 2.x (XML) through ofxtools. Its parser is a regex tokenizer, not an
XML processor, so entities are never expanded; a DTD or entity declaration is refused anyway.
ofxtools reads the whole file (OFX statements are small: months of one account).

Some of ofxtools' patterns backtrack on shapes no bank writes, so those shapes are refused
first, each by a linear check: the header's patterns on long runs of blanks (quadratic, and
worse for an `<?xml` declaration), and its CDATA pattern on a line with a `<![CDATA[` that
the line does not close (it scans the rest of the line again for each one)."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

from ofxtools.header import parse_header
from ofxtools.models.base import Aggregate
from ofxtools.Parser import OFXTree

from core.exceptions import Invalid
from core.imports.formats.amounts import checked_amount
from core.imports.formats.text import brief
from core.imports.statement import RowFailure, StatementRow

_DECLARATION = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_STMTTRN = re.compile(rb"<STMTTRN>", re.IGNORECASE)
# A real header (nine short lines, or an <?xml?> and an <?OFX?> declaration) is ~200 bytes.
HEADER_BYTES = 4096
_LONG_BLANK = re.compile(rb"\s{65}")
_CDATA_OPEN, _CDATA_CLOSE = b"<![CDATA[", b"]]>"


def _transaction_lines(raw: bytes) -> list[int]:
    """The line each <STMTTRN> opens on, in file order (ofxtools keeps no positions); the
    newlines are counted once, between one match and the next."""
    lines: list[int] = []
    line, counted = 1, 0
    for match in _STMTTRN.finditer(raw):
        line += raw.count(b"\n", counted, match.start())
        counted = match.start()
        lines.append(line)
    return lines


def _check_shape(raw: bytes) -> None:
    """Refuse, in linear time, what would make ofxtools' patterns backtrack (module doc)."""
    body = raw.find(b"<OFX>")
    if body < 0 or body > HEADER_BYTES:
        raise Invalid(
            f"file: not a readable OFX file (no <OFX> in its first {HEADER_BYTES} bytes)",
            field="file",
        )
    header = raw[:body]
    if _LONG_BLANK.search(header):
        raise Invalid("file: not a readable OFX file (a header with long blanks)", field="file")
    try:
        # The header alone first: read whole, ofxtools would match its header pattern against
        # nine lines of any length when the header is broken.
        parse_header(io.BytesIO(header))
    except Exception as exc:  # ofxtools raises several unrelated types for a broken header
        raise Invalid(f"file: not a readable OFX file ({brief(exc)})", field="file") from None
    if _CDATA_OPEN in raw:
        for line in raw.split(b"\n"):
            # Every <![CDATA[ of the line is closed when its last one is.
            opened = line.rfind(_CDATA_OPEN)
            if opened >= 0 and line.find(_CDATA_CLOSE, opened) < 0:
                raise Invalid(
                    "file: not a readable OFX file (a CDATA section not closed on its line)",
                    field="file",
                )


def read_ofx(stream: BinaryIO, currency: str | None) -> Iterator[StatementRow | RowFailure]:
    raw = stream.read()
    if _DECLARATION.search(raw):
        raise Invalid("file: OFX with a DTD or entity declarations is refused", field="file")
    _check_shape(raw)
    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(raw))
    except Exception as exc:  # ofxtools raises several unrelated types for a broken file
        raise Invalid(f"file: not a readable OFX file ({brief(exc)})", field="file") from None
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
                # ofxtools reads TRNAMT with Decimal(), which takes NaN, Infinity and 1E+30.
                checked_amount(transaction.trnamt, element.findtext("TRNAMT") or "")
            except Exception as exc:  # one bad transaction fails alone
                yield RowFailure(line, f"transaction: {brief(exc)}")
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
