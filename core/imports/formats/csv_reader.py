"""Bank CSV exports: delimiter, encoding, header row, decimal mark and date order are read from
the file; a mapping or a named preset covers the rest. Rows are streamed (two passes over the
stream: one to learn the formats, one to read), so memory does not grow with the file.

Time grows linearly with the file whatever it holds: the sniffer (quadratic) sees a small head,
a row is at most MAX_COLUMNS wide and a cell at most FIELD_CHARS long, the learning pass stops
after PROFILE_ROWS rows, and a text is tried as a date once, not once per row."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import BinaryIO

from core.exceptions import Invalid
from core.imports.formats.amounts import COMMA_DECIMAL, DOT_DECIMAL, parse_amount
from core.imports.formats.text import detect_encoding, open_text, quoted, read_head
from core.imports.statement import RowFailure, StatementRow

DELIMITERS = ";,\t|"
HEADER_SEARCH_ROWS = 30  # banks put account details above the header; this many rows are looked at
HEADERLESS_SAMPLE_ROWS = 50
# csv.Sniffer's quote patterns are quadratic in their sample: it gets the first lines only.
SNIFF_LINES = 20
SNIFF_CHARS = 4096
MAX_COLUMNS = 200  # no bank exports more; a wider file is refused
PROFILE_ROWS = 5000  # the date order and decimal mark are learnt from this many rows at most
# The stdlib's default, set here so that a longer cell is a failed row whatever another module
# sets (it is the csv module's process-wide limit); a description is cut far shorter anyway.
FIELD_CHARS = 128 * 1024
csv.field_size_limit(FIELD_CHARS)
_DATE_CHARS = 40  # the longest date any DATE_FORMATS reads, with room for blanks
_DIGIT = re.compile(r"\d")

# Tried in this order; the first that reads every date of the file wins, except that a file
# readable both day-first and month-first is ambiguous and needs `date_format`.
DATE_FORMATS = (
    "%Y-%m-%d",
    "%d.%m.%Y",
    "%d.%m.%y",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d-%m-%Y",
    "%Y/%m/%d",
    "%d/%m/%y",
    "%m/%d/%y",
    "%Y%m%d",
    "%d %b %Y",
    "%d-%b-%Y",
)
_AMBIGUOUS_ORDERS = (("%d/%m/%Y", "%m/%d/%Y"), ("%d/%m/%y", "%m/%d/%y"))
_ISO_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ]")


@dataclass(frozen=True)
class CsvMapping:
    """Columns by header name (or 0-based index for a file without a header)."""

    date: str | int
    description: tuple[str | int, ...]
    amount: str | int | None = None
    debit: str | int | None = None
    credit: str | int | None = None
    category: str | int | None = None
    currency: str | int | None = None
    external_id: str | int | None = None
    direction: str | int | None = None  # a column of Af/Bij, DR/CR, S/H beside an unsigned amount


@dataclass(frozen=True)
class CsvPreset:
    name: str
    mapping: CsvMapping
    date_format: str | None = None
    decimal: str | None = None
    currency: str | None = None

    @property
    def columns(self) -> set[str | int]:
        m = self.mapping
        named = [m.date, m.amount, m.debit, m.credit, m.category, m.currency, m.external_id]
        return {c for c in [*named, *m.description] if c is not None}


PRESETS: dict[str, CsvPreset] = {
    preset.name: preset
    for preset in (
        CsvPreset(
            "chase",
            CsvMapping(date="Posting Date", amount="Amount", description=("Description",)),
            date_format="%m/%d/%Y",
            decimal=".",
            currency="USD",
        ),
        CsvPreset(
            "dkb",
            CsvMapping(
                date="Buchungsdatum",
                amount="Betrag (€)",
                description=("Zahlungsempfänger*in", "Verwendungszweck"),
            ),
            date_format="%d.%m.%y",
            decimal=",",
            currency="EUR",
        ),
        CsvPreset(
            "revolut",
            CsvMapping(
                date="Completed Date",
                amount="Amount",
                description=("Description",),
                currency="Currency",
            ),
            date_format="%Y-%m-%d",
            decimal=".",
        ),
        CsvPreset(
            "monzo",
            CsvMapping(
                date="Date",
                amount="Amount",
                description=("Name",),
                category="Category",
                currency="Currency",
                external_id="Transaction ID",
            ),
            date_format="%d/%m/%Y",
            decimal=".",
        ),
        CsvPreset(
            "n26",
            CsvMapping(
                date="Booking Date",
                amount="Amount (EUR)",
                description=("Partner Name", "Payment Reference"),
            ),
            date_format="%Y-%m-%d",
            decimal=".",
            currency="EUR",
        ),
    )
}

# Header words in the languages of the exports we have seen, most specific first.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "date": (
        "booking date",
        "posting date",
        "transaction date",
        "completed date",
        "date",
        "buchungsdatum",
        "buchungstag",
        "datum",
        "date operation",
        "date de l operation",
        "fecha",
        "fecha operacion",
        "data",
        "boekdatum",
        "trans date",
        "value date",
        "valuta",
    ),
    "amount": (
        "amount",
        "transaction amount",
        "betrag",
        "umsatz",
        "montant",
        "importe",
        "bedrag",
        "importo",
        "value",
        "sum",
    ),
    "debit": (
        "debit",
        "debit amount",
        "withdrawal",
        "withdrawals",
        "money out",
        "paid out",
        "out",
        "soll",
        "ausgang",
        "belastung",
        "debet",
        "débit",
        "cargo",
    ),
    "credit": (
        "credit",
        "credit amount",
        "deposit",
        "deposits",
        "money in",
        "paid in",
        "in",
        "haben",
        "eingang",
        "gutschrift",
        "crédit",
        "abono",
    ),
    "payee": (
        "payee",
        "partner name",
        "name",
        "merchant",
        "counterparty",
        "beneficiary",
        "zahlungsempfänger",
        "empfänger",
        "auftraggeber empfänger",
        "beguenstigter zahlungspflichtiger",
        "name zahlungsbeteiligter",
        "bénéficiaire",
        "naam omschrijving",
        "naam tegenrekening",
    ),
    "memo": (
        "description",
        "details",
        "transaction description",
        "memo",
        "narrative",
        "reference",
        "payment reference",
        "verwendungszweck",
        "buchungstext",
        "libellé",
        "libelle",
        "concepto",
        "omschrijving",
        "mededelingen",
        "particulars",
        "text",
    ),
    # An unsigned amount with a column saying which way it went (ING's `Af Bij`, `S`/`H`).
    "direction": ("af bij", "debit credit", "credit debit", "dr cr", "cr dr", "soll haben", "s h"),
    "category": ("category", "kategorie", "catégorie", "categoria", "categorie"),
    "currency": ("currency", "währung", "waehrung", "ccy", "devise", "moneda", "valuta code"),
    "external_id": ("transaction id", "transaction reference", "id"),
}
_DEBIT_MARKERS = frozenset({"af", "d", "db", "dr", "dbit", "debit", "s", "soll", "-"})
_CREDIT_MARKERS = frozenset({"bij", "c", "cr", "crdt", "credit", "h", "haben", "+"})
_PAREN = re.compile(r"\(.*?\)")
_HEADER_CURRENCY = re.compile(r"\(\s*([A-Z]{3})\s*\)")


def _currency_in(cell: str) -> str | None:
    match = _HEADER_CURRENCY.search(cell)
    return match.group(1) if match else None


_NON_WORD = re.compile(r"[^\w]+")
_HEADER_CHARS = 64  # longer than any header word with its `(EUR)`; not worth the patterns


def _header_word(cell: str) -> str:
    """`Betrag (€)` -> `betrag`, `Zahlungsempfänger*in` -> `zahlungsempfänger in`."""
    if len(cell) > _HEADER_CHARS:
        return ""
    return _NON_WORD.sub(" ", _PAREN.sub(" ", cell.casefold())).strip()


def _synonym_index(words: Sequence[str], role: str, taken: set[int]) -> int | None:
    for synonym in _SYNONYMS[role]:
        for index, word in enumerate(words):
            if index not in taken and (word == synonym or word == f"{synonym} in"):
                return index
    return None


@dataclass
class _Columns:
    """Resolved column positions."""

    date: int
    description: list[int]
    amount: int | None = None
    debit: int | None = None
    credit: int | None = None
    category: int | None = None
    currency: int | None = None
    external_id: int | None = None
    direction: int | None = None
    width: int = 0
    header_currency: str | None = None  # `Betrag (EUR)`: the file says its currency

    def required(self) -> list[int]:
        return [i for i in (self.date, self.amount, self.debit, self.credit) if i is not None]


def _columns_from_synonyms(header: Sequence[str]) -> _Columns | None:
    taken: set[int] = set()
    words = [_header_word(cell) for cell in header]  # once per row, not once per role

    def pick(role: str) -> int | None:
        index = _synonym_index(words, role, taken)
        if index is not None:
            taken.add(index)
        return index

    date_column = pick("date")
    if date_column is None:
        return None
    amount = pick("amount")
    debit = credit = None
    if amount is None:
        debit, credit = pick("debit"), pick("credit")
        if debit is None or credit is None:
            return None
    description = [i for i in (pick("payee"), pick("memo")) if i is not None]
    if not description:
        return None
    return _Columns(
        date=date_column,
        description=description,
        amount=amount,
        debit=debit,
        credit=credit,
        category=pick("category"),
        currency=pick("currency"),
        external_id=pick("external_id"),
        direction=pick("direction") if amount is not None else None,
        width=len(header),
        header_currency=_currency_in(header[amount if amount is not None else debit or 0]),
    )


def _columns_from_mapping(header: Sequence[str] | None, mapping: CsvMapping) -> _Columns | None:
    """Positions of a mapping's columns in this header (or as indices); None if one is missing."""
    stripped = [cell.strip() for cell in header] if header is not None else None

    def position(column: str | int | None) -> int | None:
        if column is None:
            return None
        if isinstance(column, int):
            return column
        if stripped is None or column.strip() not in stripped:
            raise LookupError(column)
        return stripped.index(column.strip())

    try:
        columns = _Columns(
            date=position(mapping.date),  # type: ignore[arg-type]
            description=[position(c) for c in mapping.description],  # type: ignore[misc]
            amount=position(mapping.amount),
            debit=position(mapping.debit),
            credit=position(mapping.credit),
            category=position(mapping.category),
            currency=position(mapping.currency),
            external_id=position(mapping.external_id),
            direction=position(mapping.direction),
            width=len(header) if header is not None else 0,
        )
    except LookupError:
        return None
    return columns


def parse_mapping(raw: Mapping[str, object]) -> CsvMapping:
    """A user's `mapping` JSON, checked: `date`, `amount` or `debit`+`credit`, `description`."""
    allowed = {
        "date", "amount", "debit", "credit", "description", "category", "currency", "id",
        "direction",
    }  # fmt: skip
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise Invalid(f"mapping: unknown key {unknown[0]!r}", field="mapping")

    def column(key: str) -> str | int | None:
        value = raw.get(key)
        if value is None or (isinstance(value, str | int) and not isinstance(value, bool)):
            return value
        raise Invalid(f"mapping: {key} must name a column", field="mapping")

    date_column = column("date")
    if date_column is None:
        raise Invalid("mapping: date is required", field="mapping")
    amount, debit, credit = column("amount"), column("debit"), column("credit")
    if amount is None and (debit is None or credit is None):
        raise Invalid("mapping: give amount, or debit and credit", field="mapping")
    raw_description = raw.get("description")
    descriptions = raw_description if isinstance(raw_description, list) else [raw_description]
    if not descriptions or not all(
        isinstance(d, str | int) and not isinstance(d, bool) for d in descriptions
    ):
        raise Invalid("mapping: description must name a column", field="mapping")
    return CsvMapping(
        date=date_column,
        description=tuple(descriptions),  # type: ignore[arg-type]
        amount=amount,
        debit=debit,
        credit=credit,
        category=column("category"),
        currency=column("currency"),
        external_id=column("id"),
        direction=column("direction"),
    )


# ---- values -------------------------------------------------------------------------------


def _date_text(text: str) -> str:
    text = text.strip()
    iso = _ISO_DATETIME.match(text)
    return iso.group(1) if iso else text


# A statement has few distinct dates and strptime is slow, failing most of all: the misses are
# kept too (None), so a column of the same junk costs one strptime per format, not one per row.
# Keys are at most _DATE_CHARS long, so the cache stays small whatever the cells hold.
@lru_cache(maxsize=4096)
def _read_date(text: str, date_format: str) -> date | None:
    try:
        return datetime.strptime(text, date_format).date()
    except ValueError:
        return None


def _date_or_none(text: str, date_format: str) -> date | None:
    text = _date_text(text)
    if len(text) > _DATE_CHARS or not _DIGIT.search(text):  # every format reads digits
        return None
    return _read_date(text, date_format)


def parse_date(text: str, date_format: str) -> date:
    found = _date_or_none(text, date_format)
    if found is None:
        raise ValueError(f"{quoted(text.strip())} is not a date ({date_format})")
    return found


def _readable(text: str, date_format: str) -> bool:
    return _date_or_none(text, date_format) is not None


@dataclass
class _Profile:
    """What the first pass learns: which date formats read every date, which decimal mark."""

    date_formats: list[str] = field(default_factory=lambda: list(DATE_FORMATS))
    comma_votes: int = 0
    dot_votes: int = 0

    def see_date(self, text: str) -> None:
        if len(self.date_formats) <= 1 or not text.strip():
            return
        readable = [candidate for candidate in self.date_formats if _readable(text, candidate)]
        if readable:  # a date no format reads is a bad row, not evidence
            self.date_formats = readable

    def see_amount(self, text: str) -> None:
        text = text.strip()
        if COMMA_DECIMAL.search(text):
            self.comma_votes += 1
        elif DOT_DECIMAL.search(text):
            self.dot_votes += 1


# ---- reading ------------------------------------------------------------------------------


def _sniff_sample(head: str) -> str:
    """The first SNIFF_LINES whole lines, at most SNIFF_CHARS (or the start of a longer line)."""
    sample = ""
    for line in head.splitlines(keepends=True)[:SNIFF_LINES]:
        if sample and len(sample) + len(line) > SNIFF_CHARS:
            break
        sample += line
    return sample[:SNIFF_CHARS]


def _dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS)
    except csv.Error:
        # One column, or a sample the sniffer cannot settle: the most frequent delimiter wins.
        first_lines = sample.splitlines()[:5]
        counts = {d: sum(line.count(d) for line in first_lines) for d in DELIMITERS}
        delimiter = max(counts, key=lambda d: counts[d])

        class _Fallback(csv.excel):
            pass

        _Fallback.delimiter = delimiter
        return _Fallback


@dataclass
class CsvOptions:
    mapping: CsvMapping | None = None
    preset: CsvPreset | None = None
    date_format: str | None = None
    decimal: str | None = None
    currency: str | None = None

    def mapped_columns(self) -> list[str | int]:
        """The columns the caller's mapping names."""
        return list(CsvPreset("", self.mapping).columns) if self.mapping else []


class CsvReader:
    def __init__(self, stream: BinaryIO, options: CsvOptions) -> None:
        self.stream = stream
        self.options = options
        self.start = stream.tell()
        head = read_head(stream)
        self.encoding = detect_encoding(head)
        sample = _sniff_sample(head.decode(self.encoding, errors="replace"))
        self.dialect = _dialect(sample)

    def _too_wide(self) -> Invalid:
        return Invalid(f"file: a row of more than {MAX_COLUMNS} columns", field="file")

    def _lines(self, text: Iterator[str]) -> Iterator[str]:
        """The file's lines, refusing one with MAX_COLUMNS delimiters before the csv module
        makes a list of its (maybe millions of) cells; a quoted delimiter counts too, and no
        bank's line has that many."""
        delimiter = str(self.dialect.delimiter)
        for line in text:
            if line.count(delimiter) >= MAX_COLUMNS:
                raise self._too_wide()
            yield line

    def _cells(self) -> Iterator[tuple[int, list[str] | csv.Error]]:
        """(first line, cells) per row with content; (line, error) for a row the csv module
        cannot read (a cell over FIELD_CHARS, a NUL): that row fails, the next is read."""
        self.stream.seek(self.start)
        text = open_text(self.stream, self.encoding)
        try:
            reader = csv.reader(self._lines(text), dialect=self.dialect)
            line = 1
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    break
                except csv.Error as error:
                    yield line, error
                else:
                    if len(cells) > MAX_COLUMNS:  # a row whose quoted cells span lines
                        raise self._too_wide()
                    if any(cell.strip() for cell in cells):
                        yield line, cells
                line = reader.line_num + 1
        finally:
            text.detach()  # the caller owns the binary stream

    def _find_header(self) -> tuple[int, _Columns, CsvPreset | None]:
        """(header line or 0 when there is none, columns, the preset recognised)."""
        options = self.options
        if options.mapping is not None and all(
            isinstance(column, int) for column in options.mapped_columns()
        ):
            # Columns by position: the file has no header row to look for.
            columns = _columns_from_mapping(None, options.mapping)
            assert columns is not None
            return 0, columns, options.preset
        candidates: list[tuple[int, list[str]]] = []
        for line, cells in self._cells():
            if isinstance(cells, csv.Error):
                continue
            candidates.append((line, cells))
            stripped = {cell.strip() for cell in cells}
            if options.mapping is not None:
                columns = _columns_from_mapping(cells, options.mapping)
                if columns is not None:
                    return line, columns, options.preset
                continue
            if options.preset is None:
                for preset in PRESETS.values():
                    if {str(c) for c in preset.columns} <= stripped:
                        columns = _columns_from_mapping(cells, preset.mapping)
                        assert columns is not None
                        return line, columns, preset
            columns = _columns_from_synonyms(cells)
            if columns is not None:
                return line, columns, None
            if len(candidates) >= HEADER_SEARCH_ROWS:
                break
        if options.mapping is not None:
            raise Invalid("mapping: a named column is not in the file's header", field="mapping")
        return 0, self._columns_from_content(candidates[:HEADERLESS_SAMPLE_ROWS]), None

    def _columns_from_content(self, sample: list[tuple[int, list[str]]]) -> _Columns:
        """A file without a header: the column of dates, the column of amounts, the longest text."""
        if not sample:
            raise Invalid("file: no rows to read", field="file")
        width = max(len(cells) for _, cells in sample)

        def mostly(index: int, test: Callable[[str], object]) -> bool:
            """Whether 80% of the sample's cells in this column pass `test`; a column stops
            being read once too many have not."""
            misses = 0
            for _, cells in sample:
                try:
                    test(cells[index])
                except (ValueError, IndexError):
                    misses += 1
                    if (len(sample) - misses) / len(sample) < 0.8:
                        return False
            return True

        def is_date(text: str) -> None:
            if not any(_readable(text, candidate) for candidate in DATE_FORMATS):
                raise ValueError(text)

        def is_amount(text: str) -> None:
            if not _DIGIT.search(text) or len(text.strip()) > 20:
                raise ValueError(text)
            try:
                parse_amount(text, ".")
            except ValueError:
                parse_amount(text, ",")

        dates = [i for i in range(width) if mostly(i, is_date)]
        amounts = [i for i in range(width) if i not in dates and mostly(i, is_amount)]
        if not dates or not amounts:
            raise Invalid(
                "file: no header, and no column of dates and amounts found; give a mapping",
                field="file",
            )
        others = [i for i in range(width) if i not in dates and i not in amounts]

        def text_length(index: int) -> int:
            return sum(len(cells[index]) for _, cells in sample if index < len(cells))

        description = [max(others, key=text_length)] if others else []
        return _Columns(date=dates[0], amount=amounts[0], description=description, width=width)

    def read(self) -> Iterator[StatementRow | RowFailure]:
        header_line, columns, preset = self._find_header()
        options = self.options
        date_format = options.date_format or (preset.date_format if preset else None)
        decimal = options.decimal or (preset.decimal if preset else None)
        if date_format is None or decimal is None:
            profile = self._profile(header_line, columns)
            if date_format is None:
                date_format = self._settle_date_format(profile)
            if decimal is None:
                decimal = self._settle_decimal(profile)
        # The file's own word beats the caller's default, which beats a preset's assumption.
        default_currency = (
            columns.header_currency or options.currency or (preset.currency if preset else None)
        )
        for line, cells in self._cells():
            if line <= header_line:
                continue
            if isinstance(cells, csv.Error):
                yield RowFailure(line, f"row: {cells}")
                continue
            try:
                yield self._row(line, cells, columns, date_format, decimal, default_currency)
            except ValueError as exc:
                yield RowFailure(line, str(exc))

    def _profile(self, header_line: int, columns: _Columns) -> _Profile:
        profile = _Profile()
        amount_columns = [
            c for c in (columns.amount, columns.debit, columns.credit) if c is not None
        ]
        rows = 0
        for line, cells in self._cells():
            if line <= header_line or isinstance(cells, csv.Error):
                continue
            rows += 1
            if rows > PROFILE_ROWS:
                break
            if columns.date < len(cells):
                profile.see_date(cells[columns.date])
            for index in amount_columns:
                if index < len(cells):
                    profile.see_amount(cells[index])
        return profile

    def _settle_date_format(self, profile: _Profile) -> str:
        formats = profile.date_formats
        for day_first, month_first in _AMBIGUOUS_ORDERS:
            if {day_first, month_first} <= set(formats) and formats[0] == day_first:
                raise Invalid(
                    "date_format: the dates read both as DD/MM and MM/DD; say which",
                    field="date_format",
                )
        return formats[0]

    def _settle_decimal(self, profile: _Profile) -> str:
        if profile.comma_votes != profile.dot_votes:
            return "," if profile.comma_votes > profile.dot_votes else "."
        return "," if getattr(self.dialect, "delimiter", ",") == ";" else "."

    @staticmethod
    def _row(
        line: int,
        cells: list[str],
        columns: _Columns,
        date_format: str,
        decimal: str,
        default_currency: str | None,
    ) -> StatementRow:
        needed = max([*columns.required(), *columns.description])
        if len(cells) <= needed:
            raise ValueError(f"{len(cells)} columns, expected at least {needed + 1}")

        def cell(index: int | None) -> str:
            return cells[index].strip() if index is not None and index < len(cells) else ""

        date_text = cell(columns.date)
        booked = _date_or_none(date_text, date_format)
        if booked is None:
            raise ValueError(f"date: {quoted(date_text)} is not a date ({date_format})")
        if columns.amount is not None:
            try:
                amount = parse_amount(cell(columns.amount), decimal)
            except ValueError as exc:
                raise ValueError(f"amount: {exc}") from None
        else:
            debit_text, credit_text = cell(columns.debit), cell(columns.credit)
            if not debit_text and not credit_text:
                raise ValueError("amount: neither debit nor credit is filled")
            try:
                debit = parse_amount(debit_text, decimal) if debit_text else Decimal(0)
                credit = parse_amount(credit_text, decimal) if credit_text else Decimal(0)
            except ValueError as exc:
                raise ValueError(f"amount: {exc}") from None
            # A debit column holds money out whether the bank wrote it with a minus or not.
            amount = abs(credit) - abs(debit)
        if columns.direction is not None:
            marker = cell(columns.direction).casefold()
            if marker in _DEBIT_MARKERS:
                amount = -abs(amount)
            elif marker in _CREDIT_MARKERS:
                amount = abs(amount)
        description = " / ".join(part for part in (cell(i) for i in columns.description) if part)
        currency = cell(columns.currency).upper() or default_currency
        return StatementRow(
            line=line,
            date=booked,
            amount=amount,
            description=description,
            currency=currency,
            external_id=cell(columns.external_id) or None,
            category=cell(columns.category) or None,
        )
