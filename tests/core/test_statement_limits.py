"""Statement files built to stall a reader (security review 2026-12: H2, H3, M4, L1, and the
shapes found auditing the readers' libraries). Each is read or refused naming `file`, with the
rows and failures it should give, and without growing work: where the work can be counted
(newlines scanned, strptime calls) it is; elsewhere the input is sized so that the code before
the fix would run for minutes (a hang) where this one answers at once. Timings are in
bench/statements_hostile.py, not here."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any, SupportsIndex

import pytest

from core.exceptions import Invalid
from core.imports import read_statement
from core.imports.formats import csv_reader
from core.imports.formats.amounts import decimal_amount, parse_amount
from core.imports.formats.csv_reader import CsvOptions, CsvReader
from core.imports.formats.detect import detect_format
from core.imports.formats.mt940 import read_mt940
from core.imports.formats.ofx import read_ofx

OFX_V1_HEADER = (
    b"OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\n"
    b"CHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"
)
OFX_START = OFX_V1_HEADER + b"<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>EUR<BANKTRANLIST>"
OFX_END = b"</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n"
CAMT_START = b"<Document><BkToCstmrStmt><Stmt>\n"
CAMT_END = b"</Stmt></BkToCstmrStmt></Document>\n"
MT940_START = ":20:STARTUMS\n:25:37040044/0532013000\n:28C:00001/001\n:60F:C240101EUR0,00\n"


def refusal(data: bytes, **options: Any) -> str:
    with pytest.raises(Invalid) as error:
        read_statement(data, **options)
    assert error.value.field == "file"
    return str(error.value)


def ofx_transaction(amount: str, fitid: str) -> bytes:
    return (
        f"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240102<TRNAMT>{amount}<FITID>{fitid}"
        f"<NAME>Shop</STMTTRN>\n"
    ).encode()


def camt_entry(amount: str) -> bytes:
    return (
        f"<Ntry><Amt Ccy='EUR'>{amount}</Amt><CdtDbtInd>DBIT</CdtDbtInd>"
        f"<BookgDt><Dt>2024-01-02</Dt></BookgDt><AddtlNtryInf>Shop</AddtlNtryInf></Ntry>\n"
    ).encode()


# ---- counting the newlines a reader scans (H2: OFX and MT940 line numbers) ----------------


class _Scanned:
    total = 0


class CountingBytes(bytes):
    """bytes whose `count` adds up how many bytes it looked at."""

    def count(
        self, sub: Any, start: SupportsIndex | None = None, end: SupportsIndex | None = None
    ) -> int:
        low = 0 if start is None else int(start)
        high = len(self) if end is None else int(end)
        _Scanned.total += max(0, high - low)
        return super().count(sub, start, end)


class CountingStr(str):
    def count(
        self, sub: str, start: SupportsIndex | None = None, end: SupportsIndex | None = None
    ) -> int:
        low = 0 if start is None else int(start)
        high = len(self) if end is None else int(end)
        _Scanned.total += max(0, high - low)
        return super().count(sub, start, end)


class _CountingStream(io.BytesIO):
    def read(self, size: int | None = -1) -> bytes:
        return CountingBytes(super().read(size))


def test_ofx_transactions_line_numbers_scan_the_file_once() -> None:
    # H2, the review's shape: an OFX v1 header, <OFX>, then <STMTTRN></STMTTRN> many times.
    data = OFX_V1_HEADER + b"<OFX>" + b"<STMTTRN></STMTTRN>\n" * 20_000
    _Scanned.total = 0
    assert list(read_ofx(_CountingStream(data), None)) == []  # no statement holds them
    # Before the fix each <STMTTRN> counted the newlines from the start: ~N * size / 2.
    assert _Scanned.total <= len(data)
    # The same file read through the public entry is refused naming the file.
    assert "no readable ofx" in refusal(data)


def test_ofx_line_numbers_stay_right() -> None:
    data = OFX_START + ofx_transaction("-1.00", "A") + b"\n\n" + ofx_transaction("-2.00", "B")
    data += OFX_END
    rows = read_statement(data).rows
    assert [(row.line, str(row.amount)) for row in rows] == [(11, "-1.00"), (14, "-2.00")]


def test_mt940_statement_lines_scan_the_file_once() -> None:
    # H2, the review's shape: :20:X, :25:Y, then a bare :61: line many times.
    text = ":20:X\n:25:Y\n" + ":61:\n" * 50_000
    _Scanned.total = 0
    logging.disable(logging.CRITICAL)  # mt-940 logs the tag it cannot read
    try:
        with pytest.raises(Invalid) as error:
            list(read_mt940(CountingStr(text), None))
    finally:
        logging.disable(logging.NOTSET)
    assert error.value.field == "file"
    assert _Scanned.total <= len(text)


def test_mt940_line_numbers_stay_right() -> None:
    line = ":61:2401020102DR1,00NTRFNONREF\n:86:Shop\n"
    rows = read_statement((MT940_START + line + "\n" + line).encode() + b"-}").rows
    assert [row.line for row in rows] == [5, 8]


# ---- CAMT.053 nesting (H2) ----------------------------------------------------------------


def test_camt_nesting_past_32_is_refused_at_once() -> None:
    # H2, the review's shape; before the fix it ran about an hour (path joined per end tag).
    count = 1_000_000
    data = b"<Document><BkToCstmrStmt><Stmt><Ntry>" + b"<a>" * count + b"</a>" * count
    assert "nested deeper than 32" in refusal(data)


def test_camt_nesting_up_to_32_is_read() -> None:
    deep = b"<x>" * 20 + b"</x>" * 20  # 24 levels with Document/BkToCstmrStmt/Stmt/Ntry
    entry = camt_entry("1.00").replace(b"</Ntry>", deep + b"</Ntry>")
    rows = read_statement(CAMT_START + entry + CAMT_END).rows
    assert [str(row.amount) for row in rows] == ["-1.00"]


def test_camt_keeps_the_paths_it_reads_whatever_else_an_entry_holds() -> None:
    noise = b"<NtryDtls><Other><Nm>not this</Nm></Other></NtryDtls>" * 1000
    entry = camt_entry("2.50").replace(b"</Ntry>", noise + b"</Ntry>")
    entry = entry.replace(
        b"<AddtlNtryInf>Shop</AddtlNtryInf>",
        b"<NtryDtls><TxDtls><RltdPties><Cdtr><Nm>Cafe</Nm></Cdtr></RltdPties>"
        b"<RmtInf><Ustrd>latte</Ustrd></RmtInf></TxDtls></NtryDtls>",
    )
    [row] = read_statement(CAMT_START + entry + CAMT_END).rows
    assert row.description == "Cafe / latte"


# ---- detection and sniffing (H3) ----------------------------------------------------------


def test_a_file_of_newlines_is_empty_at_once() -> None:
    # H3: 65,536 newlines took 4.4 s in one regex call (quadratic, GIL held).
    assert "empty" in refusal(b"\n" * 65_536)


def test_detection_over_blank_lines_is_linear() -> None:
    assert detect_format(b"\n" * 65_535 + b"x") == "csv"
    assert detect_format(b" \n" * 30_000 + b":20:X\n:25:Y\n") == "mt940"


def test_the_sniffer_sees_a_small_head_only() -> None:
    # H3: `,"x` across the 64 KiB head took ~14 s in csv.Sniffer's quote patterns.
    data = b',"x' * 21_845
    reader = CsvReader(io.BytesIO(data), CsvOptions())
    assert reader.dialect.delimiter == ","
    assert refusal(data)


def test_a_sniffed_file_of_long_quoted_lines_reads_its_delimiter() -> None:
    line = b'2024-01-02;"' + b"x" * 3000 + b'";-1,00\n'
    data = b"Datum;Text;Betrag\n" + line * 30
    statement = read_statement(data)
    assert len(statement.rows) == 30 and str(statement.rows[0].amount) == "-1.00"


# ---- CSV work per row (M4) and per cell (L1) ----------------------------------------------


class _CountingDatetime(datetime):
    calls = 0

    @classmethod
    def strptime(cls, text: str, pattern: str) -> datetime:  # type: ignore[override]
        cls.calls += 1
        return datetime.strptime(text, pattern)


def _clear_date_caches() -> None:
    csv_reader._read_date.cache_clear()


@pytest.fixture
def strptime_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_CountingDatetime]]:
    _clear_date_caches()
    _CountingDatetime.calls = 0
    monkeypatch.setattr(csv_reader, "datetime", _CountingDatetime)
    yield _CountingDatetime
    _clear_date_caches()


def test_junk_dates_are_not_tried_once_per_format_per_row(
    strptime_calls: type[_CountingDatetime],
) -> None:
    # M4, the review's shape: a header, then `x,1,a` (19 s of CPU per MB before the fix:
    # twelve strptime per row).
    data = b"date,amount,description\n" + b"x,1,a\n" * 20_000
    assert "no readable csv" in refusal(data)
    assert strptime_calls.calls == 0  # no format reads a date without digits


def test_a_repeated_junk_date_is_tried_once(strptime_calls: type[_CountingDatetime]) -> None:
    data = b"date,amount,description\n2024-01-02,1,a\n" + b"13,1,a\n" * 20_000
    statement = read_statement(data)
    assert len(statement.rows) == 1 and len(statement.failures) == 20_000
    assert strptime_calls.calls <= 2 * len(csv_reader.DATE_FORMATS)


def test_the_profile_pass_stops(
    strptime_calls: type[_CountingDatetime], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_reader, "PROFILE_ROWS", 200)

    def calls(rows: int) -> int:
        _clear_date_caches()
        strptime_calls.calls = 0
        body = b"".join(b"1x%06d,1,a\n" % index for index in range(rows))
        refusal(b"date,amount,description\n" + body)
        return strptime_calls.calls

    base = calls(1200)
    more = calls(2200)
    # Past the profile, a row is one date tried in one format (before: twelve more).
    assert more - base <= 1000


def test_a_row_of_ten_million_cells_is_refused() -> None:
    # M4, the review's shape: `a` and 10,000,000 `;` on one line (70 s and hundreds of MB).
    assert "more than 200 columns" in refusal(b"a" + b";" * 10_000_000)


def test_a_wide_row_after_the_header_is_refused() -> None:
    data = b"date;amount;description\n2024-01-02;1,00;a\n" + b"a" + b";" * 500 + b"\n"
    assert "more than 200 columns" in refusal(data)


def test_a_row_of_quoted_lines_past_200_cells_is_refused() -> None:
    row = b'"a\n"' + b";" * 150 + b'"b\n"' + b";" * 150 + b"\n"
    assert "more than 200 columns" in refusal(b"date;amount;description\n" + row)


def test_open_parentheses_in_header_cells_are_no_work() -> None:
    # `\(.*?\)` on a cell of 100,000 `(` is quadratic; header words are short.
    row = b";".join([b"(" * 100_000] * 5) + b"\n"
    assert refusal(row * 3)


def test_a_200_kb_cell_is_a_failed_row_and_the_next_row_is_read() -> None:
    data = (
        b"date,amount,description\n2024-01-02,-1.00,Shop\n"
        + b"2024-01-03,-2.00,"
        + b"a" * 200_000
        + b"\n2024-01-04,-3.00,Cafe\n"
    )
    statement = read_statement(data)
    assert [(row.line, str(row.amount)) for row in statement.rows] == [(2, "-1.00"), (4, "-3.00")]
    [failure] = statement.failures
    assert failure.line == 3 and "field larger than field limit" in failure.reason


def test_a_failure_quotes_at_most_a_short_piece_of_its_cell() -> None:
    data = b"date,amount,description\n2024-01-02,-1.00,Shop\n" + b"2" * 50_000 + b",1,a\n"
    [failure] = read_statement(data).failures
    assert len(failure.reason) < 100


# ---- amounts (L1) -------------------------------------------------------------------------

REFUSED_AMOUNTS = [
    "-1e30",
    "1E+30",
    "1.5e3",
    "NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "-100000000000000000000000000000.00",
    "1000000000000",  # 13 digits
    "1.000.000.000.000,00",
]


@pytest.mark.parametrize("text", REFUSED_AMOUNTS)
def test_amounts_finbot_cannot_hold_are_not_amounts(text: str) -> None:
    with pytest.raises(ValueError):
        parse_amount(text, "," if text.endswith(",00") else ".")
    with pytest.raises(ValueError):
        decimal_amount(text)


@pytest.mark.parametrize(
    ("text", "mark", "amount"),
    [
        ("999999999999.99", ".", "999999999999.99"),
        ("-999.999.999.999,99", ",", "-999999999999.99"),
        ("000000000000001.50", ".", "1.50"),
        ("12.50 EUR", ".", "12.50"),
        ("EUR 12,50", ",", "12.50"),
    ],
)
def test_amounts_up_to_twelve_digits_are_read(text: str, mark: str, amount: str) -> None:
    assert parse_amount(text, mark) == Decimal(amount)


@pytest.mark.parametrize(
    ("text", "amount"), [("12.50", "12.50"), (" -3 ", "-3"), ("0.5", "0.5"), (".5", "0.5")]
)
def test_plain_decimals_are_read(text: str, amount: str) -> None:
    assert decimal_amount(text) == Decimal(amount)


@pytest.mark.parametrize(
    "amount", ["-1e30", "NaN", "Infinity", "-100000000000000000000000000000.00"]
)
def test_a_csv_amount_finbot_cannot_hold_is_a_failed_line(amount: str) -> None:
    data = f"date,amount,description\n2024-01-02,-1.00,Shop\n2024-01-03,{amount},X\n".encode()
    statement = read_statement(data)
    assert [row.line for row in statement.rows] == [2]
    assert [failure.line for failure in statement.failures] == [3]
    assert statement.failures[0].reason.startswith("amount: ")


@pytest.mark.parametrize("amount", ["Infinity", "NaN", "sNaN", "1E+30", "1e2", "1000000000000"])
def test_a_camt_amount_finbot_cannot_hold_is_a_failed_line(amount: str) -> None:
    data = CAMT_START + camt_entry("1.00") + camt_entry(amount) + CAMT_END
    statement = read_statement(data)
    assert [str(row.amount) for row in statement.rows] == ["-1.00"]
    assert [failure.line for failure in statement.failures] == [3]
    assert statement.failures[0].reason.startswith("Amt: ")


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "1E+30", "-1000000000000.00"])
def test_an_ofx_amount_finbot_cannot_hold_is_a_failed_line(amount: str) -> None:
    data = OFX_START + ofx_transaction("-1.00", "A") + ofx_transaction(amount, "B") + OFX_END
    statement = read_statement(data)
    assert [row.external_id for row in statement.rows] == ["A"]
    assert [failure.line for failure in statement.failures] == [12]


def test_an_mt940_amount_past_twelve_digits_is_a_failed_line() -> None:
    good = ":61:2401020102DR1,00NTRFNONREF\n:86:Shop\n"
    big = ":61:2401020102DR99999999999999,NTRFNONREF\n:86:Shop\n"
    statement = read_statement((MT940_START + good + big).encode() + b"-}")
    assert [str(row.amount) for row in statement.rows] == ["-1.00"]
    assert [(f.line, f.reason[:8]) for f in statement.failures] == [(7, "amount: ")]


@pytest.mark.parametrize("amount", ["-1e30", "NaN", "-1000000000000.00"])
def test_a_qif_amount_finbot_cannot_hold_is_a_failed_line(amount: str) -> None:
    data = f"!Type:Bank\nD01/02/2024\nT-1.00\nPShop\n^\nD01/03/2024\nT{amount}\nPX\n^\n".encode()
    statement = read_statement(data)
    assert [str(row.amount) for row in statement.rows] == ["-1.00"]
    assert [failure.line for failure in statement.failures] == [6]


# ---- OFX shapes its library's patterns backtrack on ---------------------------------------


def test_an_xml_declaration_with_long_blanks_is_refused() -> None:
    # ofxtools matches `<?xml\s+(version=...)?\s*(encoding=...)?\s*...\?>` on the first line:
    # a few hundred blanks run for seconds, a thousand for hours.
    assert "long blanks" in refusal(b"<?xml" + b" " * 1000 + b"<OFX>", format="ofx")


def test_an_ofx_header_line_of_blanks_is_refused() -> None:
    data = b"OFXHEADER:100\n" + b" " * 1_000_000 + b"\n<OFX>"
    assert "OFX" in refusal(data, format="ofx")


def test_a_broken_ofx_header_with_long_body_lines_is_refused() -> None:
    data = b"OFXHEADER:100\n<OFX>\n" + b" \t" * 500_000 + b"\n"
    assert "not a readable OFX" in refusal(data)


def test_ofx_cdata_left_open_on_its_line_is_refused() -> None:
    data = OFX_V1_HEADER + b"<OFX>" + b"<A><![CDATA[" * 200_000
    assert "CDATA" in refusal(data)


def test_ofx_cdata_closed_on_its_line_is_read() -> None:
    transaction = ofx_transaction("-1.00", "A").replace(b"<NAME>Shop", b"<NAME><![CDATA[Shop]]>")
    [row] = read_statement(OFX_START + transaction + OFX_END).rows
    assert row.description == "Shop"


# ---- QIF records quiffen would spend superlinear time on -----------------------------------


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (b"D" + b"1 " * 100_000 + b"\nT-1.00\n", "is not a date"),
        (b"D01/02/2024\nT-1.00\nL" + b"a:" * 100_000 + b"a\n", "levels deep"),
        (b"D01/02/2024\nT-1.00\nLa\nLb\n", "L: a second one"),
        (b"D01/02/2024\nT-1.00\n" + b"Aaddress\n" * 100_000, "more than 100 lines"),
    ],
)
def test_a_qif_record_past_the_limits_is_a_failed_line(record: bytes, reason: str) -> None:
    data = b"!Type:Bank\nD01/02/2024\nT-1.00\nPShop\n^\n" + record + b"^\n"
    statement = read_statement(data)
    assert len(statement.rows) == 1
    [failure] = statement.failures
    assert failure.line == 6 and reason in failure.reason
