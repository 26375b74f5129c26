"""ISO 20022 CAMT.053 bank-to-customer statements, read as a stream through defusedxml's
expat parser: a DTD, entity declarations and external references are refused outright (no
billion-laughs, no XXE), and each <Ntry> is turned into a row and dropped as soon as it closes,
so memory stays flat however long the statement is.

No CAMT-specific package: the ones on PyPI are young (0.0.x) or unmaintained, and an entry
needs a dozen paths of a published schema, which ElementTree reads exactly (amounts as text,
so Decimal, never float)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import BinaryIO

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from core.exceptions import Invalid
from core.imports.formats.amounts import decimal_amount
from core.imports.formats.text import brief, quoted
from core.imports.statement import RowFailure, StatementRow

CHUNK_BYTES = 64 * 1024
# A statement nests about 15 deep (Document/BkToCstmrStmt/Stmt/Ntry/NtryDtls/TxDtls/RmtInf/
# Strd/CdtrRefInf/Tp/CdOrPrtry/Cd); deeper is no bank's file.
MAX_DEPTH = 32

# Paths below <Ntry> whose text we keep; the rest of an entry is skipped.
_ENTRY_PATHS = {
    "Amt",
    "CdtDbtInd",
    "Sts",
    "Sts/Cd",
    "BookgDt/Dt",
    "BookgDt/DtTm",
    "ValDt/Dt",
    "ValDt/DtTm",
    "AcctSvcrRef",
    "NtryRef",
    "AddtlNtryInf",
    "NtryDtls/TxDtls/Refs/AcctSvcrRef",
    "NtryDtls/TxDtls/Refs/EndToEndId",
    "NtryDtls/TxDtls/RmtInf/Ustrd",
    "NtryDtls/TxDtls/RltdPties/Cdtr/Nm",
    "NtryDtls/TxDtls/RltdPties/Cdtr/Pty/Nm",
    "NtryDtls/TxDtls/RltdPties/Dbtr/Nm",
    "NtryDtls/TxDtls/RltdPties/Dbtr/Pty/Nm",
    "NtryDtls/TxDtls/AddtlTxInf",
}
# Every path on the way to one we keep: an element outside these is skipped with its children,
# so the path below <Ntry> is built one step per element and never longer than these.
_ENTRY_PREFIXES = {
    "/".join(path.split("/")[:end])
    for path in _ENTRY_PATHS
    for end in range(1, path.count("/") + 2)
}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class _EntryCollector:
    """An ElementTree parser target that keeps only what a row needs."""

    def __init__(self, currency: str | None) -> None:
        self.parser: DefusedXMLParser | None = None
        self.path: list[str] = []
        # Per open element: its path below the open <Ntry> ("" for the <Ntry> itself), or
        # None outside an entry and for elements no kept path goes through.
        self.relative: list[str | None] = []
        self.entry: dict[str, list[str]] | None = None
        self.entry_depth = 0
        self.entry_line = 0
        self.amount_currency: str | None = None
        self.account_currency: str | None = None
        self.default_currency = currency
        self.text: list[str] = []
        self.saw_statement = False
        self.ready: list[StatementRow | RowFailure] = []

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        name = _local(tag)
        if len(self.path) >= MAX_DEPTH:
            raise Invalid(f"file: XML nested deeper than {MAX_DEPTH} elements", field="file")
        parent = self.relative[-1] if self.relative else None
        relative = None
        if parent is not None:
            relative = f"{parent}/{name}" if parent else name
            if relative not in _ENTRY_PREFIXES:
                relative = None
        self.path.append(name)
        self.relative.append(relative)
        self.text = []
        if name in ("Stmt", "Rpt"):
            self.saw_statement = True
            self.account_currency = None
        if name == "Ntry" and self.entry is None:
            assert self.parser is not None
            self.entry = {}
            self.entry_depth = len(self.path)
            self.relative[-1] = ""
            self.entry_line = self.parser.parser.CurrentLineNumber
            self.amount_currency = None
        elif self.entry is not None and name == "Amt" and len(self.path) == self.entry_depth + 1:
            self.amount_currency = attrib.get("Ccy")

    def data(self, text: str) -> None:
        self.text.append(text)

    def end(self, tag: str) -> None:
        name = _local(tag)
        text = "".join(self.text).strip()
        self.text = []
        relative = self.relative.pop()
        if self.entry is not None and len(self.path) > self.entry_depth:
            if relative in _ENTRY_PATHS and text:
                self.entry.setdefault(relative, []).append(text)
        elif self.path[-2:] == ["Acct", "Ccy"] and text:
            self.account_currency = text
        if name == "Ntry" and self.entry is not None and len(self.path) == self.entry_depth:
            self.ready.append(self._row())
            self.entry = None
        self.path.pop()

    def close(self) -> None:
        return None

    def _row(self) -> StatementRow | RowFailure:
        entry = self.entry or {}
        line = self.entry_line

        def first(*paths: str) -> str | None:
            for path in paths:
                if entry.get(path):
                    return entry[path][0]
            return None

        try:
            amount = decimal_amount(first("Amt") or "")
        except ValueError as exc:
            return RowFailure(line, f"Amt: {exc}")
        direction = first("CdtDbtInd")
        if direction not in ("CRDT", "DBIT"):
            shown = quoted(direction) if direction is not None else "None"
            return RowFailure(line, f"CdtDbtInd: {shown} is neither CRDT nor DBIT")
        date_text = first("BookgDt/Dt", "BookgDt/DtTm", "ValDt/Dt", "ValDt/DtTm")
        try:
            booked = date.fromisoformat((date_text or "")[:10])
        except ValueError:
            shown = quoted(date_text) if date_text is not None else "None"
            return RowFailure(line, f"BookgDt: {shown} is not a date")
        if direction == "DBIT":
            counterparty = first(
                "NtryDtls/TxDtls/RltdPties/Cdtr/Nm", "NtryDtls/TxDtls/RltdPties/Cdtr/Pty/Nm"
            )
        else:
            counterparty = first(
                "NtryDtls/TxDtls/RltdPties/Dbtr/Nm", "NtryDtls/TxDtls/RltdPties/Dbtr/Pty/Nm"
            )
        remittance = " ".join(entry.get("NtryDtls/TxDtls/RmtInf/Ustrd", []))
        fallback = first("AddtlNtryInf", "NtryDtls/TxDtls/AddtlTxInf")
        parts = [counterparty, remittance or fallback]
        return StatementRow(
            line=line,
            date=booked,
            amount=-abs(amount) if direction == "DBIT" else abs(amount),
            description=" / ".join(part for part in parts if part),
            currency=self.amount_currency or self.account_currency or self.default_currency,
            external_id=first("AcctSvcrRef", "NtryRef", "NtryDtls/TxDtls/Refs/AcctSvcrRef"),
        )


def read_camt053(stream: BinaryIO, currency: str | None) -> Iterator[StatementRow | RowFailure]:
    collector = _EntryCollector(currency)
    parser = DefusedXMLParser(
        target=collector, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    collector.parser = parser
    try:
        while chunk := stream.read(CHUNK_BYTES):
            parser.feed(chunk)
            yield from collector.ready
            collector.ready.clear()
        parser.close()
    except DefusedXmlException:
        raise Invalid(
            "file: XML with a DTD, entity declarations or external references is refused",
            field="file",
        ) from None
    except SyntaxError as exc:  # ParseError, from the pure-Python module defusedxml loads
        raise Invalid(f"file: not well-formed XML ({brief(exc)})", field="file") from None
    yield from collector.ready
    if not collector.saw_statement:
        raise Invalid("file: XML without a CAMT.053 statement (<Stmt>)", field="file")
