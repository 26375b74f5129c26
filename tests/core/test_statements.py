"""The statement readers over a fixture per format (written like real bank exports)."""
# ruff: noqa: E501  (the table reads best one transaction a line)

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.exceptions import Invalid
from core.imports import dedupe_keys, iter_statement, merchant_key, read_statement
from core.imports.statement import StatementRow

FIXTURES = Path(__file__).parent / "fixtures" / "statements"

# (line, date, amount as written, description, currency, external_id)
Expected = tuple[int, str, str, str, str | None, str | None]

CASES: list[tuple[str, dict[str, Any], str, list[Expected], list[int]]] = [
    (
        "sparkasse_cp1252.csv",  # semicolons, cp1252, 1.234,56, DD.MM.YYYY, a bad date
        {},
        "csv",
        [
            (2, "2024-01-02", "-1234.56", "Hausverwaltung Schäfer GmbH / Miete Januar 2024", "EUR", None),
            (3, "2024-01-03", "-4.90", "Bäckerei Müller / 2024-01-03T08:14 Debitk.1 2027-12", "EUR", None),
            (5, "2024-01-15", "2500.00", "Arbeitgeber AG / Gehalt Januar", "EUR", None),
            (6, "2024-01-16", "-37.15", "REWE Markt GmbH / 2024-01-16T19:02 Debitk.1 2027-12", "EUR", None),
        ],
        [4],
    ),
    (
        "dkb_bom.csv",  # UTF-8 BOM, account lines above the header, DKB preset, DD.MM.YY
        {},
        "csv",
        [
            (6, "2024-01-30", "-23.40", "UBER *TRIP 4X8Q / VISA Debitkartenumsatz", "EUR", None),
            (7, "2024-01-29", "-23.40", "UBER *TRIP 9ZZ1 / VISA Debitkartenumsatz", "EUR", None),
            (8, "2024-01-29", "-23.40", "UBER *TRIP 9ZZ1 / VISA Debitkartenumsatz", "EUR", None),
            (9, "2024-01-25", "1045.00", "Jana Kühn / Rückzahlung Konzertkarten", "EUR", None),
        ],
        [],
    ),
    (
        "nationwide_debit_credit.csv",  # paid out / paid in columns, £1,049.99, 05 Jan 2024
        {"currency": "gbp"},
        "csv",
        [
            (6, "2024-01-05", "-12.50", "TESCO STORES 3217", "GBP", None),
            (7, "2024-01-06", "2150.00", "ACME LTD SALARY", "GBP", None),
            (8, "2024-01-07", "-38.00", "THAMES WATER", "GBP", None),
            (9, "2024-01-08", "-1049.99", "AMAZON MKTPLACE", "GBP", None),
        ],
        [10],
    ),
    (
        "chase_us.csv",  # Chase preset: MM/DD/YYYY, rows wider than the header
        {},
        "csv",
        [
            (2, "2024-01-02", "-5.75", "STARBUCKS STORE 12345 SEATTLE WA        01/02", "USD", None),
            (3, "2024-01-03", "2450.00", "ACME CORP PAYROLL PPD ID: 1234567890", "USD", None),
            (4, "2024-01-04", "-1200.00", "Zelle payment to John Smith JPM99a1b2c3d", "USD", None),
            (5, "2024-01-05", "-1234.56", "COSTCO WHSE #0113 SEATTLE WA", "USD", None),
        ],
        [],
    ),
    (
        "us_dates.csv",  # MM/DD/YYYY known from 01/13 and 01/15; "3,200.00"
        {},
        "csv",
        [
            (2, "2024-01-05", "-15.49", "NETFLIX.COM", None, None),
            (3, "2024-01-13", "-62.10", "TRADER JOE'S #552", None, None),
            (4, "2024-01-15", "3200.00", "PAYROLL DEPOSIT", None, None),
        ],
        [],
    ),
    (
        "custom_mapping.csv",  # pipes and headers no bank uses: a mapping names the columns
        {
            "mapping": json.dumps(
                {"date": "When", "debit": "Out", "credit": "In", "description": "What",
                 "category": "Kind", "currency": "Cur"}
            )
        },
        "csv",
        [
            (2, "2024-03-01", "-3.80", "Coffee Corner", "CHF", None),
            (3, "2024-03-02", "-1800.00", "Landlord AG", "CHF", None),
            (4, "2024-03-03", "24.95", "Refund Migros", "CHF", None),
        ],
        [],
    ),
    (
        "monzo.csv",  # Monzo preset: its transaction id is the file's own id
        {},
        "csv",
        [
            (2, "2024-01-02", "-4.35", "Pret A Manger", "GBP", "tx_0000AbC123"),
            (3, "2024-01-03", "250.00", "Alex Doe", "GBP", "tx_0000AbC124"),
            (4, "2024-01-04", "-89.99", "Ryanair", "GBP", "tx_0000AbC125"),
        ],
        [],
    ),
    (
        "ing_nl.csv",  # ING: unsigned amounts with an Af/Bij column, YYYYMMDD, `Bedrag (EUR)`
        {"currency": "USD"},
        "csv",
        [
            (2, "2024-01-05", "-23.45", "Albert Heijn 1308 / Pasvolgnr: 004 05-01-2024 17:32 Transactie: 4X8Q2B", "EUR", None),
            (3, "2024-01-06", "2750.00", "Werkgever BV / Salaris januari", "EUR", None),
            (4, "2024-01-07", "-1004.10", "NS Reizigers / Jaarabonnement", "EUR", None),
        ],
        [],
    ),
    (
        "headerless.csv",  # no header: columns found from their content
        {},
        "csv",
        [
            (1, "2024-02-01", "-12.50", "TESCO STORES 3217 LONDON", None, None),
            (3, "2024-02-03", "1500.00", "ACME LTD SALARY", None, None),
        ],
        [],
    ),
    (
        "checking_v1.qfx",  # OFX 1.02 SGML; a row in another currency; a +01:00 midnight
        {},
        "ofx",
        [
            (40, "2024-01-02", "-5.75", "STARBUCKS STORE 12345 / SEATTLE WA", "USD", "202401020001"),
            (48, "2024-01-03", "2450.00", "ACME CORP PAYROLL", "USD", "202401030002"),
            (55, "2024-01-05", "-1234.56", "COSTCO WHSE #0113", "CAD", "202401050003"),
            (66, "2024-01-07", "-0.1", "BANK FEE", "USD", "202401070004"),
        ],
        [],
    ),
    (
        "card_v2.ofx",  # OFX 2.2 XML credit card statement
        {},
        "ofx",
        [
            (21, "2024-02-03", "-23.40", "UBER *TRIP 4X8Q / HELP.UBER.COM NL", "EUR", "CC-2024-02-03-001"),
            (29, "2024-02-10", "-1.234", "Café Ruta", "EUR", "CC-2024-02-10-002"),
            (36, "2024-02-15", "50.00", "REFUND ZALANDO SE", "EUR", "CC-2024-02-15-003"),
        ],
        [],
    ),
    (
        "checking.qif",  # QIF, US dates, a record with an impossible date
        {"currency": "USD"},
        "qif",
        [
            (2, "2024-01-02", "-5.75", "STARBUCKS / Morning coffee", "USD", None),
            (8, "2024-01-13", "-1234.56", "COSTCO WHSE #0113", "USD", None),
            (17, "2024-01-15", "2450.00", "ACME CORP PAYROLL", "USD", None),
        ],
        [13],
    ),
    (
        "european.qif",  # QIF with day-first dates and `1.234,56` (quiffen alone reads 1.23456)
        {},
        "qif",
        [
            (2, "2024-01-05", "-1234.56", "MEDIAMARKT BERLIN", None, None),
            (6, "2024-01-28", "250.00", "GUTSCHRIFT", None, None),
        ],
        [],
    ),
    (
        "statement.camt053.xml",  # CAMT.053: refs, a USD entry, a DtTm booking date, a bad amount
        {},
        "camt053",
        [
            (22, "2024-01-02", "-1234.56", "Hausverwaltung Schäfer GmbH / Miete Januar 2024", "EUR", "2024010200012345"),
            (41, "2024-01-15", "2500.00", "Arbeitgeber AG / Gehalt Januar 2024", "EUR", "2024011500077777"),
            (57, "2024-01-20", "-19.99", "GITHUB INC SAN FRANCISCO", "USD", "0003"),
        ],
        [65],
    ),
    (
        "statement.mt940",  # MT940 with the German structured :86:
        {},
        "mt940",
        [
            (6, "2024-01-02", "-1234.56", "Hausverwaltung Schaefer / Miete Januar 2024", "EUR", "2024010200012345"),
            (9, "2024-01-15", "2500.00", "Arbeitgeber AG / Gehalt Januar 2024", "EUR", "2024011500077777"),
            (11, "2024-01-20", "-4.90", "Baeckerei MuellerBerlin", "EUR", None),
        ],
        [],
    ),
]  # fmt: skip


def _as_tuple(row: StatementRow) -> Expected:
    # str(amount) tells 2500.00 from 2500 and from a float's 2499.999..., which == would not.
    return (row.line, row.date.isoformat(), str(row.amount), row.description, row.currency,
            row.external_id)  # fmt: skip


@pytest.mark.parametrize(
    ("fixture", "options", "kind", "expected", "failed_lines"),
    CASES,
    ids=[case[0] for case in CASES],
)
def test_each_format_reads_counts_amounts_dates_and_ids(
    fixture: str,
    options: dict[str, Any],
    kind: str,
    expected: list[Expected],
    failed_lines: list[int],
) -> None:
    with (FIXTURES / fixture).open("rb") as file:
        statement = read_statement(file, **options)

    assert statement.format == kind
    got = [_as_tuple(row) for row in statement.rows]
    for row in expected:
        assert row in got
    if fixture != "headerless.csv":
        assert len(got) == len(expected)
    assert [failure.line for failure in statement.failures] == failed_lines
    assert all(type(row.amount) is Decimal and type(row.date) is date for row in statement.rows)


def test_bytes_and_an_explicit_format_read_the_same_as_a_detected_file() -> None:
    data = (FIXTURES / "statement.camt053.xml").read_bytes()
    detected = read_statement(data)
    explicit = read_statement(io.BytesIO(data), format="camt053")
    assert detected.rows == explicit.rows


def test_a_non_seekable_stream_is_spooled_and_read() -> None:
    data = (FIXTURES / "sparkasse_cp1252.csv").read_bytes()

    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self.inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            chunk = self.inner.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    statement = read_statement(Pipe())  # type: ignore[arg-type]
    assert len(statement.rows) == 4


def test_failures_name_the_line_and_the_reason() -> None:
    statement = read_statement((FIXTURES / "sparkasse_cp1252.csv").read_bytes())
    [failure] = statement.failures
    assert (failure.line, failure.reason) == (4, "date: '31.02.2024' is not a date (%d.%m.%Y)")


def test_ambiguous_day_month_order_asks_for_date_format_and_takes_it() -> None:
    data = (FIXTURES / "ambiguous_dates.csv").read_bytes()
    with pytest.raises(Invalid) as error:
        read_statement(data)
    assert error.value.field == "date_format"

    day_first = read_statement(data, date_format="%d/%m/%Y")
    month_first = read_statement(data, date_format="%m/%d/%Y")
    assert [r.date for r in day_first.rows] == [date(2024, 5, 1), date(2024, 6, 2)]
    assert [r.date for r in month_first.rows] == [date(2024, 1, 5), date(2024, 2, 6)]


def test_decimal_option_overrides_detection() -> None:
    # Three decimals after a dot could be thousands: a comma-separated file reads them as
    # decimals, a semicolon-separated (European) one as thousands, unless `decimal` says.
    comma_file = b"Date,Description,Amount\n2024-01-02,Shop,1.234\n2024-01-03,Cafe,-2.500\n"
    semicolon_file = comma_file.replace(b",", b";")
    assert [str(r.amount) for r in read_statement(comma_file).rows] == ["1.234", "-2.500"]
    assert [str(r.amount) for r in read_statement(semicolon_file).rows] == ["1234", "-2500"]
    as_thousands = read_statement(comma_file, decimal=",").rows
    assert [str(r.amount) for r in as_thousands] == ["1234", "-2500"]
    as_decimals = read_statement(semicolon_file, decimal=".").rows
    assert [str(r.amount) for r in as_decimals] == ["1.234", "-2.500"]


def test_amount_spellings_from_real_exports() -> None:
    data = (
        "Datum;Text;Betrag\n"
        "02.01.2024;A;1.234,56-\n"  # sign written last
        "03.01.2024;B;(7,10)\n"  # parentheses
        "04.01.2024;C;€ 1 050,00\n"  # currency sign and a space as thousands separator
        "05.01.2024;D;−3,00\n"  # a real minus sign
    ).encode()
    amounts = [str(r.amount) for r in read_statement(data).rows]
    assert amounts == ["-1234.56", "-7.10", "1050.00", "-3.00"]


def test_a_preset_by_name_and_a_mapping_as_a_dict() -> None:
    chase = (FIXTURES / "chase_us.csv").read_bytes()
    assert len(read_statement(chase, mapping="chase").rows) == 4
    mapping = {"date": "When", "amount": "Out", "description": ["What", "Kind"]}
    rows = read_statement((FIXTURES / "custom_mapping.csv").read_bytes(), mapping=mapping).rows
    assert [r.description for r in rows] == ["Coffee Corner / food", "Landlord AG / housing"]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"mapping": {"amount": "Out", "description": "What"}}, "mapping"),
        ({"mapping": {"date": "Nope", "amount": "Out", "description": "What"}}, "mapping"),
        ({"mapping": "not json and no preset"}, "mapping"),
        ({"format": "xlsx"}, "format"),
        ({"decimal": ";"}, "decimal"),
        ({"currency": "EURO"}, "currency"),
    ],
)
def test_bad_options_name_their_field(options: dict[str, Any], field: str) -> None:
    with pytest.raises(Invalid) as error:
        read_statement((FIXTURES / "custom_mapping.csv").read_bytes(), **options)
    assert error.value.field == field


@pytest.mark.parametrize(
    "fixture",
    ["garbage.txt", "garbage.bin", "bomb.camt053.xml", "xxe.camt053.xml", "xxe_v2.ofx"],
)
def test_garbage_bombs_and_external_entities_are_refused_naming_file(fixture: str) -> None:
    with pytest.raises(Invalid) as error:
        read_statement((FIXTURES / fixture).read_bytes())
    assert error.value.field == "file"


def test_xml_bomb_and_xxe_are_refused_before_any_expansion() -> None:
    for fixture in ("bomb.camt053.xml", "xxe.camt053.xml", "xxe_v2.ofx"):
        with pytest.raises(Invalid, match="DTD"):
            read_statement((FIXTURES / fixture).read_bytes())


def test_a_file_whose_every_row_fails_is_invalid() -> None:
    data = b"Date,Description,Amount\n2024-13-45,Shop,-1.00\n2024-02-30,Cafe,-2.00\n"
    with pytest.raises(Invalid) as error:
        read_statement(data)
    assert error.value.field == "file"
    assert "line 2" in error.value.message


def test_rows_stream_in_file_order() -> None:
    rows = "".join(f"2024-01-{day:02d},Shop {day},-{day}.00\n" for day in range(1, 29))
    kind, items = iter_statement(("Date,Description,Amount\n" + rows).encode())
    lines = [item.line for item in items]
    assert kind == "csv" and lines == list(range(2, 30))


# ---- merchants and dedupe -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("UBER *TRIP 4X8Q", "UBER *TRIP 9ZZ1"),
        ("AMZN Mktp US*2K4L51234", "amzn mktp us*7Q9ZZ0001"),
        ("POS 4111 11** **** 1234 REWE MARKT 05.01.2024", "REWE Markt 12/02/24 XXXX9876"),
        ("PAYPAL *SPOTIFY 35314369001", "PayPal *Spotify 35314369777 12JAN"),
        ("Netflix.com 2024-01-05", "NETFLIX.COM 2024-02-05"),
    ],
)
def test_merchant_key_strips_cards_dates_and_references(first: str, second: str) -> None:
    assert merchant_key(first) == merchant_key(second)
    assert merchant_key(first)


def test_merchant_key_keeps_different_merchants_apart() -> None:
    assert merchant_key("UBER *TRIP 4X8Q") == "uber trip"
    assert merchant_key("UBER *EATS 4X8Q") != merchant_key("UBER *TRIP 4X8Q")
    assert merchant_key("Bäckerei Müller") == "bäckerei müller"


def _row(line: int, text: str, amount: str = "-23.40", day: int = 29, **extra: Any) -> StatementRow:
    return StatementRow(line, date(2024, 1, day), Decimal(amount), text, "EUR", **extra)


def test_dedupe_keys_count_identical_rows_and_repeat_for_the_same_file() -> None:
    statement = read_statement((FIXTURES / "dkb_bom.csv").read_bytes())
    keys = list(dedupe_keys(statement.rows))
    assert len(set(keys)) == len(keys) == 4  # lines 7 and 8 are identical: two transactions
    assert list(dedupe_keys(statement.rows)) == keys  # the same file again: the same keys


def test_dedupe_keys_match_an_overlapping_statement_on_its_shared_rows() -> None:
    january = [_row(1, "REWE 0001", day=28), _row(2, "UBER *TRIP 4X8Q"), _row(3, "UBER *TRIP 9ZZ1")]
    later = [_row(1, "UBER *TRIP 9ZZ1"), _row(2, "UBER *TRIP 4X8Q"), _row(3, "REWE", day=30)]
    shared = set(dedupe_keys(january)) & set(dedupe_keys(later))
    assert len(shared) == 2  # the two trips of the 29th; the 30th is new


def test_dedupe_keys_prefer_the_files_own_id_and_ignore_trailing_zeros() -> None:
    with_id = [_row(1, "A", external_id="FIT1"), _row(2, "B", external_id="FIT1")]
    assert len(set(dedupe_keys(with_id))) == 1
    assert list(dedupe_keys([_row(1, "X", "-5.5")])) == list(dedupe_keys([_row(9, "X", "-5.50")]))
    assert list(dedupe_keys([_row(1, "X", "-5.5")])) != list(dedupe_keys([_row(1, "X", "5.5")]))


def test_a_quoted_newline_keeps_the_next_rows_line_number_true() -> None:
    data = b'Date,Description,Amount\n2024-01-02,"Two\nlines",-1.00\n2024-01-03,Next,-2.00\n'
    rows = read_statement(data).rows
    assert [(row.line, row.description) for row in rows] == [(2, "Two\nlines"), (4, "Next")]


def test_a_mapping_by_column_index_reads_a_file_without_header() -> None:
    mapping = {"date": 0, "amount": 1, "description": 2}
    rows = read_statement((FIXTURES / "headerless.csv").read_bytes(), mapping=mapping).rows
    assert [str(row.amount) for row in rows] == ["-12.50", "-3.10", "1500.00"]


def test_a_short_row_fails_alone() -> None:
    data = b"Date,Description,Amount\n2024-01-02,Shop,-1.00\n2024-01-03\n2024-01-04,Cafe,-2.00\n"
    statement = read_statement(data)
    assert [row.line for row in statement.rows] == [2, 4]
    assert [(f.line, f.reason) for f in statement.failures] == [
        (3, "1 columns, expected at least 3")
    ]
