"""`read_statement`: a bank file in any supported format -> rows with exact amounts + failures."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import BinaryIO

from core.exceptions import Invalid
from core.imports.formats.camt053 import read_camt053
from core.imports.formats.csv_reader import (
    PRESETS,
    CsvMapping,
    CsvOptions,
    CsvPreset,
    CsvReader,
    parse_mapping,
)
from core.imports.formats.detect import check_format, detect_format
from core.imports.formats.mt940 import read_mt940
from core.imports.formats.ofx import read_ofx
from core.imports.formats.qif import qif_day_first, read_qif
from core.imports.formats.text import as_seekable, detect_encoding, open_text, read_head
from core.imports.statement import RowFailure, Statement, StatementRow

MappingInput = Mapping[str, object] | str | None


def _csv_options(
    mapping: MappingInput, date_format: str | None, decimal: str | None, currency: str | None
) -> CsvOptions:
    preset: CsvPreset | None = None
    parsed: CsvMapping | None = None
    if isinstance(mapping, str):
        text = mapping.strip()
        if text.casefold() in PRESETS:
            preset = PRESETS[text.casefold()]
            parsed = preset.mapping
        else:
            try:
                loaded = json.loads(text)
            except json.JSONDecodeError:
                names = ", ".join(PRESETS)
                raise Invalid(
                    f"mapping: neither JSON nor a preset ({names})", field="mapping"
                ) from None
            if not isinstance(loaded, dict):
                raise Invalid("mapping: must be a JSON object", field="mapping")
            parsed = parse_mapping(loaded)
    elif mapping is not None:
        parsed = parse_mapping(mapping)
    if date_format is not None and "%" not in date_format:
        raise Invalid("date_format: a strftime pattern such as %d.%m.%Y", field="date_format")
    return CsvOptions(
        mapping=parsed, preset=preset, date_format=date_format, decimal=decimal, currency=currency
    )


def _check_currency(currency: str | None) -> str | None:
    if currency is None:
        return None
    code = currency.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise Invalid("currency: an ISO 4217 code such as EUR", field="currency")
    return code


def _read_qif_stream(
    stream: BinaryIO, encoding: str, *, day_first: bool, currency: str | None, decimal: str | None
) -> Iterator[StatementRow | RowFailure]:
    text = open_text(stream, encoding)
    try:
        yield from read_qif(text, day_first=day_first, currency=currency, decimal=decimal)
    finally:
        text.detach()  # the caller owns the binary stream


def iter_statement(
    data: bytes | BinaryIO,
    *,
    format: str | None = None,
    currency: str | None = None,
    mapping: MappingInput = None,
    date_format: str | None = None,
    decimal: str | None = None,
) -> tuple[str, Iterator[StatementRow | RowFailure]]:
    """The format and a stream of rows and failures, in file order; memory flat in file size
    for CSV, QIF and CAMT.053 (OFX and MT940 parsers read the whole file)."""
    currency = _check_currency(currency)
    if decimal is not None and decimal not in (".", ","):
        raise Invalid("decimal: must be '.' or ','", field="decimal")
    stream = as_seekable(data)
    spooled = stream is not data  # a copy we made: ours to close
    try:
        kind, items = _dispatch(stream, format, currency, mapping, date_format, decimal)
    except BaseException:
        if spooled:
            stream.close()
        raise
    return kind, _closing(items, stream) if spooled else items


def _closing(
    items: Iterator[StatementRow | RowFailure], stream: BinaryIO
) -> Iterator[StatementRow | RowFailure]:
    try:
        yield from items
    finally:
        stream.close()


def _dispatch(
    stream: BinaryIO,
    format: str | None,
    currency: str | None,
    mapping: MappingInput,
    date_format: str | None,
    decimal: str | None,
) -> tuple[str, Iterator[StatementRow | RowFailure]]:
    head = read_head(stream)
    kind = check_format(format) if format else detect_format(head)
    if kind == "csv":
        options = _csv_options(mapping, date_format, decimal, currency)
        return kind, CsvReader(stream, options).read()
    if kind == "ofx":
        return kind, read_ofx(stream, currency)
    if kind == "camt053":
        return kind, read_camt053(stream, currency)
    encoding = detect_encoding(head)
    if kind == "qif":
        start = stream.tell()
        text = open_text(stream, encoding)
        day_first = qif_day_first(text, date_format)
        text.detach()
        stream.seek(start)
        return kind, _read_qif_stream(
            stream, encoding, day_first=day_first, currency=currency, decimal=decimal
        )
    return kind, read_mt940(stream.read().decode(encoding, errors="replace"), currency)


def read_statement(
    data: bytes | BinaryIO,
    *,
    format: str | None = None,
    currency: str | None = None,
    mapping: MappingInput = None,
    date_format: str | None = None,
    decimal: str | None = None,
) -> Statement:
    """Read a whole statement. Raises Invalid naming `file` when no row at all could be read
    (and naming `format`, `mapping`, `date_format`, `decimal` or `currency` for a bad option).
    CPU-bound: call it through asyncio.to_thread from async code."""
    kind, items = iter_statement(
        data,
        format=format,
        currency=currency,
        mapping=mapping,
        date_format=date_format,
        decimal=decimal,
    )
    statement = Statement(format=kind)
    for item in items:
        if isinstance(item, StatementRow):
            statement.rows.append(item)
        else:
            statement.failures.append(item)
    if not statement.rows:
        detail = (
            f" (line {statement.failures[0].line}: {statement.failures[0].reason})"
            if statement.failures
            else ""
        )
        raise Invalid(f"file: no readable {kind} transactions{detail}", field="file")
    return statement
