"""Receipt text -> Reading: labels, sums, dates, currencies, merchants (pure, no OCR)."""

from datetime import date
from decimal import Decimal

import pytest

from core.receipts import extract_reading

TODAY = date(2026, 11, 26)


def read(text: str, base: str = "EUR", locale: str | None = None, quality: float = 1.0):
    return extract_reading(
        text, base_currency=base, locale_hint=locale, ocr_confidence=quality, today=TODAY
    )


GERMAN = """
BÄCKEREI HOFMANN
Hauptstr. 5, 10115 Berlin
Tel. 030 123456
24.11.2026 08:12
Brötchen 2 x 0,45      0,90 A
Kaffee                 2,80 A
Croissant              1,75 A
SUMME EUR              5,45
MwSt 7%                0,36
Gegeben BAR           10,00
Rückgeld               4,55
"""


def test_german_till_roll_reads_summe_and_skips_tax_cash_and_change() -> None:
    reading = read(GERMAN, locale="de_DE")
    assert reading is not None
    assert reading.total == Decimal("5.45")
    assert isinstance(reading.total, Decimal)
    assert reading.currency == "EUR"
    assert reading.date == date(2026, 11, 24)
    assert reading.merchant == "BÄCKEREI HOFMANN"
    assert [(line.text, line.amount) for line in reading.lines] == [
        ("Brötchen 2 x 0,45", Decimal("0.90")),
        ("Kaffee", Decimal("2.80")),
        ("Croissant", Decimal("1.75")),
    ]
    assert all(isinstance(line.amount, Decimal) for line in reading.lines)
    assert 0.8 <= reading.confidence <= 1


@pytest.mark.parametrize(
    ("text", "total"),
    [
        ("Shop\nItem 4.00\nSubtotal 4.00\nTax 0.32\nTOTAL 4.32\nCash 5.00\nChange 0.68", "4.32"),
        ("Shop\nItem 4.00\nAmount due 4.32\nTotal savings 1.00", "4.32"),
        ("Boutique\nArticle 10,00\nTotal HT 10,00\nTVA 20% 2,00\nTotal TTC 12,00 €", "12.00"),
        ("Negozio\nPane 1,20\nSubtotale 1,20\nTOTALE 1,20\nContanti 5,00\nResto 3,80", "1.20"),
        ("Tienda\nPan 1,20\nTotal a pagar 1,20", "1.20"),
        ("Winkel\nBrood 2,10\nTotaal 2,10", "2.10"),
        ("Store\nTV 1,299.00\nGRAND TOTAL 1,299.00", "1299.00"),
        ("Laden\nFernseher 1.299,00\nZu zahlen 1.299,00 EUR", "1299.00"),
        ("Shop\nItem 3.00\nTOTAL\n3.00", "3.00"),
    ],
)
def test_total_from_the_strongest_label_in_several_languages(text: str, total: str) -> None:
    reading = read(text)
    assert reading is not None
    assert reading.total == Decimal(total)


def test_without_a_label_the_total_is_the_largest_amount_the_items_add_up_to() -> None:
    reading = read("CORNER SHOP\nBread 2.50\nMilk 1.20\nEggs 3.10\n6.80\nThank you")
    assert reading is not None
    assert reading.total == Decimal("6.80")
    assert [line.amount for line in reading.lines] == [
        Decimal("2.50"),
        Decimal("1.20"),
        Decimal("3.10"),
    ]
    labelled = read("CORNER SHOP\nBread 2.50\nMilk 1.20\nEggs 3.10\nTotal 6.80")
    assert labelled is not None
    assert reading.confidence < labelled.confidence


@pytest.mark.parametrize(
    ("stamp", "locale", "expected"),
    [
        ("03/04/2026", "en_US", date(2026, 3, 4)),
        ("03/04/2026", "en_GB", date(2026, 4, 3)),
        ("03/04/2026", "fr-FR", date(2026, 4, 3)),
        ("03/04/2026", None, date(2026, 4, 3)),
        ("11/24/2026", "en_GB", date(2026, 11, 24)),
        ("24.11.26", "de_DE", date(2026, 11, 24)),
        ("2026-11-24", "en_US", date(2026, 11, 24)),
        ("2025-02-12", None, date(2025, 2, 12)),
        ("2025-02-12", "de_DE", date(2025, 2, 12)),
        ("24-11-2026", "nl", date(2026, 11, 24)),
        ("24 Nov 2026", None, date(2026, 11, 24)),
        ("Nov 24, 2026", "en_US", date(2026, 11, 24)),
        ("24. November 2026", "de", date(2026, 11, 24)),
        ("24 novembre 2026", "fr", date(2026, 11, 24)),
        ("3 dicembre 2025", "it", date(2025, 12, 3)),
        ("12 ene 2026", "es", date(2026, 1, 12)),
    ],
)
def test_dates_in_several_formats_and_the_locale_decides_day_or_month_first(
    stamp: str, locale: str | None, expected: date
) -> None:
    reading = read(f"SHOP\n{stamp} 10:15\nThing 1.00\nTOTAL 1.00", locale=locale)
    assert reading is not None
    assert reading.date == expected


def test_a_date_in_the_future_or_last_century_is_no_date() -> None:
    future = read("SHOP\n24/12/2026\nTOTAL 1.00")
    assert future is not None and future.date is None
    old = read("SHOP\n24/12/1987\nTOTAL 1.00")
    assert old is not None and old.date is None


@pytest.mark.parametrize(
    ("line", "base", "currency"),
    [
        ("TOTAL 12.50 €", "USD", "EUR"),
        ("TOTAL €12.50", "USD", "EUR"),
        ("TOTAL £12.50", "EUR", "GBP"),
        ("TOTAL $12.50", "EUR", "USD"),
        ("TOTAL $12.50", "CAD", "CAD"),
        ("TOTAL CHF 12.50", "EUR", "CHF"),
        ("SUMME 12,50 EUR", "GBP", "EUR"),
        ("TOTAL 12.50", "SEK", "SEK"),
    ],
)
def test_currency_from_symbol_or_code_else_the_base(line: str, base: str, currency: str) -> None:
    reading = read(f"SHOP\nThing 12.50\n{line}", base=base)
    assert reading is not None
    assert reading.currency == currency
    assert reading.total == Decimal("12.50")


def test_a_currency_printed_elsewhere_on_the_receipt_counts() -> None:
    reading = read("SHOP\nAll prices in GBP\nThing 2.00\nTOTAL 2.00")
    assert reading is not None
    assert reading.currency == "GBP"


def test_a_date_is_not_taken_for_an_amount_nor_a_quantity_for_money() -> None:
    reading = read("SHOP\n24.11.26\nApples 3 x 2\nPears 2.00\nTOTAL 2.00", locale="de")
    assert reading is not None
    assert reading.date == date(2026, 11, 24)
    assert [line.amount for line in reading.lines] == [Decimal("2.00")]


def test_discount_lines_keep_their_sign() -> None:
    reading = read("SHOP\nShoes 50.00\nDiscount -5.00\nTOTAL 45.00")
    assert reading is not None
    assert reading.total == Decimal("45.00")


def test_merchant_skips_headings_and_ocr_crumbs() -> None:
    reading = read("RECEIPT\n~ . BAKERY. - >\n1 High St\nBread 2.00\nTOTAL 2.00")
    assert reading is not None
    assert reading.merchant == "BAKERY"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "The river ran past old mills and quiet fields.\nPeople walked slowly toward town.",
        "Meeting at 10:30 on 24/11/2026 in room 12",
        "Page 3 of 12\nChapter 4.2\nSee figure 1.5",
        "Thing 1.00\nOther 2.00\nThird 9.99",  # amounts, but neither a total nor a sum
    ],
)
def test_text_that_is_not_a_receipt_gives_none(text: str) -> None:
    assert read(text) is None


def test_confidence_follows_the_ocr_and_stays_in_range() -> None:
    sure = read(GERMAN, quality=1.0)
    unsure = read(GERMAN, quality=0.2)
    assert sure is not None and unsure is not None
    assert 0 <= unsure.confidence < sure.confidence <= 1


def test_reading_serialises_as_the_spec_says() -> None:
    reading = read(GERMAN, locale="de")
    assert reading is not None
    body = reading.model_dump(mode="json")
    assert set(body) == {"total", "currency", "date", "merchant", "lines", "confidence"}
    assert body["total"] == 5.45
    assert body["date"] == "2026-11-24"
    assert body["lines"][0] == {"text": "Brötchen 2 x 0,45", "amount": 0.9}
