"""The chat parser, by table: each message with the exact entry (or refusal) expected."""

from datetime import date
from decimal import Decimal

import pytest

from core.language.parsing import CategoryHints, ParsedEntry, Unparsed, parse_amount, parse_message

TODAY = date(2026, 11, 25)  # a Wednesday
YESTERDAY = date(2026, 11, 24)
PLAIN = CategoryHints()
FOOD = CategoryHints(categories=("food", "Transport"))
HISTORY = CategoryHints(categories=("eating out",), words={"sushi": "eating out", "uber": "taxi"})

EXP, INC = "expense", "income"

# (message, hints, kind, amount, category, date, description)
TABLE: list[tuple[str, CategoryHints, str, str, str, date, str]] = [
    # Amount after or before the words
    ("coffee 4.50", PLAIN, EXP, "4.50", "coffee", TODAY, "coffee"),
    ("4.50 coffee", PLAIN, EXP, "4.50", "coffee", TODAY, "coffee"),
    ("Coffee 4", PLAIN, EXP, "4.00", "coffee", TODAY, "Coffee"),
    ("coffee 4.5", PLAIN, EXP, "4.50", "coffee", TODAY, "coffee"),
    ("cinema tickets 24", PLAIN, EXP, "24.00", "cinema", TODAY, "cinema tickets"),
    ("24 cinema tickets", PLAIN, EXP, "24.00", "cinema", TODAY, "cinema tickets"),
    # Decimal comma, as in much of Europe and Latin America
    ("12,30 lunch", PLAIN, EXP, "12.30", "lunch", TODAY, "lunch"),
    ("lunch 12,3", PLAIN, EXP, "12.30", "lunch", TODAY, "lunch"),
    ("almoço 8,90", PLAIN, EXP, "8.90", "almoço", TODAY, "almoço"),
    ("Kaffee 3,20", PLAIN, EXP, "3.20", "kaffee", TODAY, "Kaffee"),
    ("café 2,10", PLAIN, EXP, "2.10", "café", TODAY, "café"),
    # Thousands separators
    ("rent 1,250.00", PLAIN, EXP, "1250.00", "rent", TODAY, "rent"),
    ("rent 1.250,00", PLAIN, EXP, "1250.00", "rent", TODAY, "rent"),
    ("Miete 1.250", PLAIN, EXP, "1250.00", "miete", TODAY, "Miete"),
    ("rent 1,250", PLAIN, EXP, "1250.00", "rent", TODAY, "rent"),
    ("laptop 1'299.90", PLAIN, EXP, "1299.90", "laptop", TODAY, "laptop"),
    ("car 12,500.50", PLAIN, EXP, "12500.50", "car", TODAY, "car"),
    ("car 12.500,50", PLAIN, EXP, "12500.50", "car", TODAY, "car"),
    ("house 1,250,000.00", PLAIN, EXP, "1250000.00", "house", TODAY, "house"),
    # Currency signs and codes, before or after, joined or apart
    ("12,30 € lunch with Ana", PLAIN, EXP, "12.30", "lunch", TODAY, "lunch with Ana"),
    ("€12,30 lunch", PLAIN, EXP, "12.30", "lunch", TODAY, "lunch"),
    ("lunch 12,30€", PLAIN, EXP, "12.30", "lunch", TODAY, "lunch"),
    ("lunch € 12,30", PLAIN, EXP, "12.30", "lunch", TODAY, "lunch"),
    ("$15 books", PLAIN, EXP, "15.00", "books", TODAY, "books"),
    ("books 15$", PLAIN, EXP, "15.00", "books", TODAY, "books"),
    ("£7.20 pint", PLAIN, EXP, "7.20", "pint", TODAY, "pint"),
    ("pizza 9 EUR", PLAIN, EXP, "9.00", "pizza", TODAY, "pizza"),
    ("pizza EUR 9", PLAIN, EXP, "9.00", "pizza", TODAY, "pizza"),
    ("pizza 9eur", PLAIN, EXP, "9.00", "pizza", TODAY, "pizza"),
    ("USD20 gift", PLAIN, EXP, "20.00", "gift", TODAY, "gift"),
    ("gift 20 usd", PLAIN, EXP, "20.00", "gift", TODAY, "gift"),
    ("stamps 2.40 GBP", PLAIN, EXP, "2.40", "stamps", TODAY, "stamps"),
    # spent X on Y, paid X for Y
    ("spent 20 on groceries", PLAIN, EXP, "20.00", "groceries", TODAY, "groceries"),
    ("Spent 20,50 on groceries", PLAIN, EXP, "20.50", "groceries", TODAY, "groceries"),
    ("paid 60 for electricity", PLAIN, EXP, "60.00", "electricity", TODAY, "electricity"),
    ("paid €60 for the gym", PLAIN, EXP, "60.00", "gym", TODAY, "gym"),
    ("spent 5 on coffee yesterday", PLAIN, EXP, "5.00", "coffee", YESTERDAY, "coffee"),
    ("bought shoes 80", PLAIN, EXP, "80.00", "shoes", TODAY, "shoes"),
    # Incomes
    ("+2500 salary", PLAIN, INC, "2500.00", "salary", TODAY, "salary"),
    ("+2.500,00 salary", PLAIN, INC, "2500.00", "salary", TODAY, "salary"),
    ("salary +2500", PLAIN, INC, "2500.00", "salary", TODAY, "salary"),
    ("income 300 freelance", PLAIN, INC, "300.00", "freelance", TODAY, "freelance"),
    ("Income 300,50 freelance", PLAIN, INC, "300.50", "freelance", TODAY, "freelance"),
    ("received 100 from mom", PLAIN, INC, "100.00", "mom", TODAY, "mom"),
    ("received €1,000 bonus", PLAIN, INC, "1000.00", "bonus", TODAY, "bonus"),
    ("+50", PLAIN, INC, "50.00", "income", TODAY, ""),
    ("+120 refund yesterday", PLAIN, INC, "120.00", "refund", YESTERDAY, "refund"),
    # Dates
    ("taxi 18 yesterday", PLAIN, EXP, "18.00", "taxi", YESTERDAY, "taxi"),
    ("yesterday taxi 18", PLAIN, EXP, "18.00", "taxi", YESTERDAY, "taxi"),
    ("taxi 18 today", PLAIN, EXP, "18.00", "taxi", TODAY, "taxi"),
    ("tram 2.80 3 days ago", PLAIN, EXP, "2.80", "tram", date(2026, 11, 22), "tram"),
    ("tram 2.80 1 day ago", PLAIN, EXP, "2.80", "tram", YESTERDAY, "tram"),
    ("dinner 30 monday", PLAIN, EXP, "30.00", "dinner", date(2026, 11, 23), "dinner"),
    ("dinner 30 Sunday", PLAIN, EXP, "30.00", "dinner", date(2026, 11, 22), "dinner"),
    ("dinner 30 wednesday", PLAIN, EXP, "30.00", "dinner", TODAY, "dinner"),
    ("dinner 30 thursday", PLAIN, EXP, "30.00", "dinner", date(2026, 11, 19), "dinner"),
    ("taxi 18 12.03", PLAIN, EXP, "18.00", "taxi", date(2026, 3, 12), "taxi"),
    ("12.11 taxi 18", PLAIN, EXP, "18.00", "taxi", date(2026, 11, 12), "taxi"),
    ("taxi 18 24.12", PLAIN, EXP, "18.00", "taxi", date(2025, 12, 24), "taxi"),
    ("taxi 18 12.03.2025", PLAIN, EXP, "18.00", "taxi", date(2025, 3, 12), "taxi"),
    ("groceries 45 2025-03-12", PLAIN, EXP, "45.00", "groceries", date(2025, 3, 12), "groceries"),
    (
        "2025-03-12 groceries 45,10",
        PLAIN,
        EXP,
        "45.10",
        "groceries",
        date(2025, 3, 12),
        "groceries",
    ),
    ("lunch 12.30", PLAIN, EXP, "12.30", "lunch", TODAY, "lunch"),  # one number: the amount
    # Categories: the person's own, their history, synonyms to their own, else the first word
    ("coffee 4.50", FOOD, EXP, "4.50", "food", TODAY, "coffee"),
    ("Pizza 9", FOOD, EXP, "9.00", "food", TODAY, "Pizza"),
    ("lunch with Ana 12,30", FOOD, EXP, "12.30", "food", TODAY, "lunch with Ana"),
    ("FOOD 10", FOOD, EXP, "10.00", "food", TODAY, "FOOD"),
    ("taxi 18", FOOD, EXP, "18.00", "Transport", TODAY, "taxi"),
    ("books 15", FOOD, EXP, "15.00", "books", TODAY, "books"),
    ("sushi 30", HISTORY, EXP, "30.00", "eating out", TODAY, "sushi"),
    ("uber 11", HISTORY, EXP, "11.00", "taxi", TODAY, "uber"),
    ("pizza 9", HISTORY, EXP, "9.00", "pizza", TODAY, "pizza"),
    ("new shoes 80", PLAIN, EXP, "80.00", "new", TODAY, "new shoes"),
    ("Spotify 9.99 monthly", PLAIN, EXP, "9.99", "spotify", TODAY, "Spotify monthly"),
    ("gift for Ana 25", PLAIN, EXP, "25.00", "gift", TODAY, "gift for Ana"),
    ("coffee, 4.50!", PLAIN, EXP, "4.50", "coffee,", TODAY, "coffee,"),
    ("price 4.567", PLAIN, EXP, "4567.00", "price", TODAY, "price"),  # German thousands
]

REFUSED: list[tuple[str, str]] = [
    ("hello", "no amount"),
    ("", "no amount"),
    ("coffee", "no amount"),
    ("spent a lot on food", "no amount"),
    ("taxi 10 20", "several amounts"),
    ("2 coffees 7", "several amounts"),
    ("lunch 12,30 and 4,50 tip", "several amounts"),
    ("4.50", "no category"),
    ("€ 12", "no category"),
    ("yesterday 18", "no category"),
    ("coffee 0", "no amount"),
    ("house 1000000000000", "amount out of range"),
    ("price 4.5678", "no amount"),
]


@pytest.mark.parametrize("row", TABLE, ids=[f"{n}:{r[0]}" for n, r in enumerate(TABLE)])
def test_reads(row: tuple[str, CategoryHints, str, str, str, date, str]) -> None:
    message, hints, kind, amount, category, day, description = row
    assert parse_message(message, TODAY, hints) == ParsedEntry(
        kind=kind,  # type: ignore[arg-type]
        amount=Decimal(amount),
        category=category,
        date=day,
        description=description,
    )


@pytest.mark.parametrize(("message", "reason"), REFUSED, ids=[r[0] or "empty" for r in REFUSED])
def test_refuses_what_it_cannot_be_sure_of(message: str, reason: str) -> None:
    assert parse_message(message, TODAY, PLAIN) == Unparsed(reason)


def test_the_table_is_large_enough() -> None:
    assert len(TABLE) + len(REFUSED) >= 80


@pytest.mark.parametrize(
    ("token", "value"),
    [("4.50", "4.50"), ("4,5", "4.5"), ("1,250.00", "1250.00"), ("1.250,00", "1250.00"),
     ("1.250", "1250"), ("007", "7"), ("0", None), ("1.2.3", None), ("12,345,67", None)],
)  # fmt: skip
def test_amount_forms(token: str, value: str | None) -> None:
    expected = Decimal(value) if value is not None else None
    assert parse_amount(token) == expected
