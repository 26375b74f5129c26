"""The chat parser, by table: each message with the exact value expected.

Entries (amount, currency, kind, category, date, tags, rule), questions,
ambiguous readings and refusals are all rows; every row is asserted whole.
"""

from datetime import date
from decimal import Decimal

import pytest

from core.language.parsing import (
    Ambiguous,
    CategoryHints,
    ParsedEntry,
    Question,
    Unparsed,
    parse_amount,
    parse_amount_in,
    parse_message,
    read_message,
)

TODAY = date(2026, 11, 25)  # a Wednesday
YESTERDAY = date(2026, 11, 24)
PLAIN = CategoryHints()
FOOD = CategoryHints(categories=("food", "Transport"))
HISTORY = CategoryHints(categories=("eating out",), words={"sushi": "eating out", "uber": "taxi"})
NOVEMBER = (date(2026, 11, 1), TODAY)
THIS_WEEK = (date(2026, 11, 23), TODAY)

Read = ParsedEntry | Question | Ambiguous | Unparsed
Row = tuple[str, Read, CategoryHints, str | None]


def out(
    amount: str,
    category: str,
    description: str | None = None,
    *,
    day: date = TODAY,
    currency: str | None = None,
    tags: tuple[str, ...] = (),
    rrule: str | None = None,
    kind: str = "expense",
) -> ParsedEntry:
    return ParsedEntry(
        kind=kind,  # type: ignore[arg-type]
        amount=Decimal(amount),
        category=category,
        date=day,
        description=category if description is None else description,
        currency=currency,
        tags=tags,
        rrule=rrule,
    )


def into(amount: str, source: str, description: str | None = None, **more: object) -> ParsedEntry:
    return out(amount, source, description, kind="income", **more)  # type: ignore[arg-type]


def ask(kind: str, category: str | None = None, span: tuple[date, date] | None = None) -> Question:
    start, end = span if span else (None, None)
    return Question(kind, category, start, end)  # type: ignore[arg-type]


def no(reason: str) -> Unparsed:
    return Unparsed(reason)


def row(message: str, read: Read, hints: CategoryHints = PLAIN, base: str | None = None) -> Row:
    return (message, read, hints, base)


ENTRIES: list[Row] = [
    # Amount after or before the words
    row("coffee 4.50", out("4.50", "coffee")),
    row("4.50 coffee", out("4.50", "coffee")),
    row("Coffee 4", out("4.00", "coffee", "Coffee")),
    row("coffee 4.5", out("4.50", "coffee")),
    row("cinema tickets 24", out("24.00", "cinema", "cinema tickets")),
    row("24 cinema tickets", out("24.00", "cinema", "cinema tickets")),
    # Decimal comma
    row("12,30 lunch", out("12.30", "lunch")),
    row("lunch 12,3", out("12.30", "lunch")),
    row("almoço 8,90", out("8.90", "almoço")),
    row("Kaffee 3,20", out("3.20", "kaffee", "Kaffee")),
    row("café 2,10", out("2.10", "café")),
    # Thousands separators: marks, apostrophes and spaces (ordinary, thin, narrow no-break)
    row("rent 1,250.00", out("1250.00", "rent")),
    row("rent 1.250,00", out("1250.00", "rent")),
    row("Miete 1.250", out("1250.00", "miete", "Miete")),
    row("rent 1,250", out("1250.00", "rent")),
    row("laptop 1'299.90", out("1299.90", "laptop")),
    row("car 12,500.50", out("12500.50", "car")),
    row("car 12.500,50", out("12500.50", "car")),
    row("house 1,250,000.00", out("1250000.00", "house")),
    row("1 500 rent", out("1500.00", "rent")),
    row("rent 1 500", out("1500.00", "rent")),
    row("rent 12 000", out("12000.00", "rent")),
    row("car 1 250 000", out("1250000.00", "car")),
    row("rent 1\u202f500", out("1500.00", "rent")),
    row("rent 1\u2009500", out("1500.00", "rent")),
    row("rent 1\u00a0500,50", out("1500.50", "rent")),
    row("1\u202f200 laptop", out("1200.00", "laptop")),
    row("tv 2 499,99", out("2499.99", "tv")),
    row("price 4.567", out("4567.00", "price")),  # German thousands
    row("1.5k laptop", out("1500.00", "laptop")),
    row("laptop 2k", out("2000.00", "laptop")),
    # Punctuation around the amount
    row("coffee, 4.50!", out("4.50", "coffee")),
    row("5, Starbucks", out("5.00", "starbucks", "Starbucks")),
    row("Starbucks, 5", out("5.00", "starbucks", "Starbucks")),
    row("coffee 4.50.", out("4.50", "coffee")),
    row("lunch: 12", out("12.00", "lunch")),
    row("(taxi) 9", out("9.00", "taxi")),
    # Leading minus means money out
    row("-15 snacks", out("15.00", "snacks")),
    row("snacks -15", out("15.00", "snacks")),
    row("-4,50 coffee", out("4.50", "coffee")),
    row("\u221212 parking", out("12.00", "parking")),
    row("-€20 gift", out("20.00", "gift", currency="EUR")),
    # spent X on Y, paid X for Y
    row("spent 20 on groceries", out("20.00", "groceries")),
    row("Spent 20,50 on groceries", out("20.50", "groceries")),
    row("paid 60 for electricity", out("60.00", "electricity")),
    row("paid €60 for the gym", out("60.00", "gym", currency="EUR")),
    row("spent 5 on coffee yesterday", out("5.00", "coffee", day=YESTERDAY)),
    row("bought shoes 80", out("80.00", "shoes")),
    row("buy milk 2", out("2.00", "milk")),
    row("paid 12 taxi", out("12.00", "taxi")),
    row("spent 9.99 on a book", out("9.99", "book")),
    # Command forms
    row("/add 50 lunch", out("50.00", "lunch")),
    row("/add lunch 50", out("50.00", "lunch")),
    row("/add +300 bonus", into("300.00", "bonus")),
    row("/add salary 2500", into("2500.00", "salary")),
    row("/add@finbot_bot 5 tea", out("5.00", "tea")),
    row("/expense 12 taxi", out("12.00", "taxi")),
    row("/expense refund 20", out("20.00", "refund")),  # the command says money out
    row("/spent 20 food", out("20.00", "food")),
    row("/spend 7 kebab", out("7.00", "kebab")),
    row("/income 300 freelance", into("300.00", "freelance")),
    row("/income 1 200 consulting", into("1200.00", "consulting")),
    row("/income 50", into("50.00", "income", "")),
    row("/ADD 3 gum", out("3.00", "gum")),
    # Incomes: a sign, a verb, or a word that names money coming in
    row("+2500 salary", into("2500.00", "salary")),
    row("+2.500,00 salary", into("2500.00", "salary")),
    row("salary +2500", into("2500.00", "salary")),
    row("income 300 freelance", into("300.00", "freelance")),
    row("Income 300,50 freelance", into("300.50", "freelance")),
    row("received 100 from mom", into("100.00", "mom")),
    row("received €1,000 bonus", into("1000.00", "bonus", currency="EUR")),
    row("+50", into("50.00", "income", "")),
    row("+120 refund yesterday", into("120.00", "refund", day=YESTERDAY)),
    row("salary 2500", into("2500.00", "salary")),
    row("Salary 2 500", into("2500.00", "salary", "Salary")),
    row("bonus 300", into("300.00", "bonus")),
    row("refund 20", into("20.00", "refund")),
    row("20 refund amazon", into("20.00", "refund", "refund amazon")),
    row("dividends 42.10", into("42.10", "dividends")),
    row("interest 3,15", into("3.15", "interest")),
    row("cashback 7", into("7.00", "cashback")),
    row("pension 900", into("900.00", "pension")),
    row("wage 450", into("450.00", "wage")),
    row("paycheck 1800", into("1800.00", "paycheck")),
    row("reimbursement 64", into("64.00", "reimbursement")),
    row("sold bike 150", into("150.00", "bike")),
    row("earned 200 tutoring", into("200.00", "tutoring")),
    row("got paid 900 by client", into("900.00", "client")),
    row("paid 100 bonus to staff", out("100.00", "bonus", "bonus to staff")),
    # Dates
    row("taxi 18 yesterday", out("18.00", "taxi", day=YESTERDAY)),
    row("yesterday taxi 18", out("18.00", "taxi", day=YESTERDAY)),
    row("taxi 18 today", out("18.00", "taxi")),
    row("tram 2.80 3 days ago", out("2.80", "tram", day=date(2026, 11, 22))),
    row("tram 2.80 1 day ago", out("2.80", "tram", day=YESTERDAY)),
    row("dinner 30 monday", out("30.00", "dinner", day=date(2026, 11, 23))),
    row("dinner 30 Sunday", out("30.00", "dinner", day=date(2026, 11, 22))),
    row("dinner 30 wednesday", out("30.00", "dinner")),
    row("dinner 30 thursday", out("30.00", "dinner", day=date(2026, 11, 19))),
    row("taxi 18 12.03", out("18.00", "taxi", day=date(2026, 3, 12))),
    row("12.11 taxi 18", out("18.00", "taxi", day=date(2026, 11, 12))),
    row("taxi 18 24.12", out("18.00", "taxi", day=date(2025, 12, 24))),
    row("taxi 18 12.03.2025", out("18.00", "taxi", day=date(2025, 3, 12))),
    row("groceries 45 2025-03-12", out("45.00", "groceries", day=date(2025, 3, 12))),
    row("2025-03-12 groceries 45,10", out("45.10", "groceries", day=date(2025, 3, 12))),
    row("26.12.24 groceries 45", out("45.00", "groceries", day=date(2024, 12, 26))),
    row("26.12.2024 taxi 12", out("12.00", "taxi", day=date(2024, 12, 26))),
    row("01.11.26 gas 60", out("60.00", "gas", day=date(2026, 11, 1))),
    row("3.11.2026 lunch 9,50", out("9.50", "lunch", day=date(2026, 11, 3))),
    row("31.10.26 costume 35", out("35.00", "costume", day=date(2026, 10, 31))),
    row("26.12.24 1 500 sofa", out("1500.00", "sofa", day=date(2024, 12, 26))),
    row("taxi 18 on the 3rd", out("18.00", "taxi", day=date(2026, 11, 3))),
    row("taxi 18 28th", out("18.00", "taxi", day=date(2026, 10, 28))),
    row("13/11 dinner 40", out("40.00", "dinner", day=date(2026, 11, 13))),
    row("11/13 dinner 40", out("40.00", "dinner", day=date(2026, 11, 13))),
    row("12/25 dinner 40", out("40.00", "dinner", day=date(2025, 12, 25))),
    row("25/12/2025 gifts 120", out("120.00", "gifts", day=date(2025, 12, 25))),
    row("lunch 12.30", out("12.30", "lunch")),  # one number: the amount
    row("lunch 12 at 13:00", out("12.00", "lunch")),  # the time is not a second amount
    row("dinner 30 last friday", out("30.00", "dinner", day=date(2026, 11, 20))),
    # Categories: the person's own, their history, synonyms to their own, else the first word
    row("coffee 4.50", out("4.50", "food", "coffee"), FOOD),
    row("Pizza 9", out("9.00", "food", "Pizza"), FOOD),
    row("lunch with Ana 12,30", out("12.30", "food", "lunch with Ana"), FOOD),
    row("FOOD 10", out("10.00", "food", "FOOD"), FOOD),
    row("taxi 18", out("18.00", "Transport", "taxi"), FOOD),
    row("books 15", out("15.00", "books"), FOOD),
    row("sushi 30", out("30.00", "eating out", "sushi"), HISTORY),
    row("uber 11", out("11.00", "taxi", "uber"), HISTORY),
    row("pizza 9", out("9.00", "pizza"), HISTORY),
    row("eating out 25", out("25.00", "eating out", "eating out"), HISTORY),
    row("new shoes 80", out("80.00", "new", "new shoes")),
    row("gift for Ana 25", out("25.00", "gift", "gift for Ana")),
    # Tags
    row("coffee 4 #work", out("4.00", "coffee", tags=("work",))),
    row("coffee 4 #Work #team", out("4.00", "coffee", tags=("work", "team"))),
    row("#trip taxi 30", out("30.00", "taxi", tags=("trip",))),
    row("dinner #Rome 45 with Ana", out("45.00", "dinner", "dinner with Ana", tags=("rome",))),
    row("12 #snacks", out("12.00", "snacks", "", tags=("snacks",))),
    row("coffee 4 #work #work", out("4.00", "coffee", tags=("work",))),
    row("taxi 18 #trip, yesterday", out("18.00", "taxi", day=YESTERDAY, tags=("trip",))),
    row("+300 bonus #q4", into("300.00", "bonus", tags=("q4",))),
    row("pizza 9 #food", out("9.00", "food", "pizza", tags=("food",)), FOOD),
    row("hotel 120 USD #trip", out("120.00", "hotel", currency="USD", tags=("trip",))),
]

CURRENCIES: list[Row] = [
    row("12,30 € lunch with Ana", out("12.30", "lunch", "lunch with Ana", currency="EUR")),
    row("€12,30 lunch", out("12.30", "lunch", currency="EUR")),
    row("lunch 12,30€", out("12.30", "lunch", currency="EUR")),
    row("lunch € 12,30", out("12.30", "lunch", currency="EUR")),
    row("20€ parking", out("20.00", "parking", currency="EUR")),
    row("$15 books", out("15.00", "books", currency="USD")),
    row("books 15$", out("15.00", "books", currency="USD")),
    row("£7.20 pint", out("7.20", "pint", currency="GBP")),
    row("£8 taxi", out("8.00", "taxi", currency="GBP")),
    row("pizza 9 EUR", out("9.00", "pizza", currency="EUR")),
    row("pizza EUR 9", out("9.00", "pizza", currency="EUR")),
    row("pizza 9eur", out("9.00", "pizza", currency="EUR")),
    row("USD20 gift", out("20.00", "gift", currency="USD")),
    row("gift 20 usd", out("20.00", "gift", currency="USD")),
    row("stamps 2.40 GBP", out("2.40", "stamps", currency="GBP")),
    row("lunch 20 USD", out("20.00", "lunch", currency="USD")),
    row("20 usd lunch", out("20.00", "lunch", currency="USD")),
    row("$20 lunch", out("20.00", "lunch", currency="USD")),
    row("$20 lunch", out("20.00", "lunch", currency="USD"), PLAIN, "EUR"),
    row("$20 lunch", out("20.00", "lunch", currency="CAD"), PLAIN, "CAD"),
    row("$20 lunch", out("20.00", "lunch", currency="AUD"), PLAIN, "AUD"),
    row("20 dollars books", out("20.00", "books", currency="USD")),
    row("5 bucks coffee", out("5.00", "coffee", currency="MXN"), PLAIN, "MXN"),
    row("C$30 hockey", out("30.00", "hockey", currency="CAD")),
    row("US$30 souvenir", out("30.00", "souvenir", currency="USD"), PLAIN, "CAD"),
    row("R$45 almoço", out("45.00", "almoço", currency="BRL")),
    row("¥1500 ramen", out("1500", "ramen", currency="JPY")),
    row("ramen 1500 yen", out("1500", "ramen", currency="JPY")),
    row("¥1,500 ramen", out("1500", "ramen", currency="JPY")),
    row("¥88 noodles", out("88", "noodles", currency="CNY"), PLAIN, "CNY"),
    row("sushi 3000 JPY", out("3000", "sushi", currency="JPY")),
    row("ramen 1500", out("1500", "ramen"), PLAIN, "JPY"),
    row("lunch 12.345 KWD", out("12.345", "lunch", currency="KWD")),
    row("lunch 12,5 KWD", out("12.500", "lunch", currency="KWD")),
    row("fuel 3.250", out("3.250", "fuel"), PLAIN, "BHD"),
    row("₹250 chai", out("250.00", "chai", currency="INR")),
    row("₺90 kebab", out("90.00", "kebab", currency="TRY")),
    row("₩12000 bibimbap", out("12000", "bibimbap", currency="KRW")),
    row("taxi 300 UAH", out("300.00", "taxi", currency="UAH")),
    row("50 zł obiad", out("50.00", "obiad", currency="PLN")),
    row("pen 5", out("5.00", "pen")),  # a word, not the sol
    row("5 PEN pen", out("5.00", "pen", currency="PEN")),
    row("top 20", out("20.00", "top")),
    row("tea 3 chf", out("3.00", "tea", currency="CHF")),
    row("20 euros dinner", out("20.00", "dinner", currency="EUR")),
    row("10 quid pub", out("10.00", "pub", currency="GBP")),
    row("+€1.200 freelance", into("1200.00", "freelance", currency="EUR")),
    row("salary 2500 USD", into("2500.00", "salary", currency="USD")),
]

RECURRING: list[Row] = [
    row(
        "rent 900 every month on the 3rd",
        out("900.00", "rent", day=date(2026, 12, 3), rrule="FREQ=MONTHLY;BYMONTHDAY=3"),
    ),
    row(
        "netflix 15.99 monthly",
        out("15.99", "netflix", rrule="FREQ=MONTHLY;BYMONTHDAY=25"),
    ),
    row(
        "Spotify 9.99 monthly",
        out("9.99", "spotify", "Spotify", rrule="FREQ=MONTHLY;BYMONTHDAY=25"),
    ),
    row(
        "gym 30 every friday",
        out("30.00", "gym", day=date(2026, 11, 27), rrule="FREQ=WEEKLY;BYDAY=FR"),
    ),
    row(
        "salary 2500 monthly on the 25th",
        into("2500.00", "salary", rrule="FREQ=MONTHLY;BYMONTHDAY=25"),
    ),
    row(
        "rent 900 monthly on the last day",
        out("900.00", "rent", day=date(2026, 11, 30), rrule="FREQ=MONTHLY;BYMONTHDAY=-1"),
    ),
    row(
        "rent 900 at the end of the month every month",
        out("900.00", "rent", day=date(2026, 11, 30), rrule="FREQ=MONTHLY;BYMONTHDAY=-1"),
    ),
    row(
        "phone 20 every month on the 1st",
        out("20.00", "phone", day=date(2026, 12, 1), rrule="FREQ=MONTHLY;BYMONTHDAY=1"),
    ),
    row(
        "internet 35 each month on the 10th",
        out("35.00", "internet", day=date(2026, 12, 10), rrule="FREQ=MONTHLY;BYMONTHDAY=10"),
    ),
    row(
        "cleaner 40 every 2 weeks",
        out("40.00", "cleaner", rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=WE"),
    ),
    row(
        "cleaner 40 every other week",
        out("40.00", "cleaner", rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=WE"),
    ),
    row(
        "allowance 20 fortnightly",
        into("20.00", "allowance", rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=WE"),
    ),
    row(
        "lessons 25 every monday and thursday",
        out("25.00", "lessons", day=date(2026, 11, 26), rrule="FREQ=WEEKLY;BYDAY=MO,TH"),
    ),
    row(
        "yoga 12 weekly on saturday",
        out("12.00", "yoga", day=date(2026, 11, 28), rrule="FREQ=WEEKLY;BYDAY=SA"),
    ),
    row("coffee 3 daily", out("3.00", "coffee", rrule="FREQ=DAILY")),
    row("bus 2 every day", out("2.00", "bus", rrule="FREQ=DAILY")),
    row(
        "insurance 300 yearly",
        out("300.00", "insurance", rrule="FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=25"),
    ),
    row(
        "domain 12 every year",
        out("12.00", "domain", rrule="FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=25"),
    ),
    row(
        "water 60 quarterly",
        out("60.00", "water", rrule="FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=25"),
    ),
    row(
        "+500 rent income monthly on the 5th",
        into(
            "500.00",
            "rent",
            "rent income",
            day=date(2026, 12, 5),
            rrule="FREQ=MONTHLY;BYMONTHDAY=5",
        ),
    ),
    row(
        "netflix $15.99 monthly #subs",
        out("15.99", "netflix", currency="USD", tags=("subs",), rrule="FREQ=MONTHLY;BYMONTHDAY=25"),
    ),
    row(
        "/expense gym 30 every friday",
        out("30.00", "gym", day=date(2026, 11, 27), rrule="FREQ=WEEKLY;BYDAY=FR"),
    ),
    row(
        "rent 1 200 every month on the 31st",
        out("1200.00", "rent", day=date(2026, 12, 31), rrule="FREQ=MONTHLY;BYMONTHDAY=31"),
    ),
    row("rent 900 every month on the 32nd", no("no such day of the month")),
]

QUESTIONS: list[Row] = [
    row("how much did I spend on food this month?", ask("spent", "food", NOVEMBER)),
    row("How much did I spend on food this month?", ask("spent", "food", NOVEMBER), FOOD),
    row("how much did I spend on coffee?", ask("spent", "food", NOVEMBER), FOOD),
    row("how much have I spent this week", ask("spent", None, THIS_WEEK)),
    row("spent this week?", ask("spent", None, THIS_WEEK)),
    row("spent today?", ask("spent", None, (TODAY, TODAY))),
    row("spending last month", ask("spent", None, (date(2026, 10, 1), date(2026, 10, 31)))),
    row("what did I spend yesterday?", ask("spent", None, (YESTERDAY, YESTERDAY))),
    row(
        "how much on taxis last week?",
        ask("spent", "taxis", (date(2026, 11, 16), date(2026, 11, 22))),
    ),
    row("total spent this year?", ask("spent", None, (date(2026, 1, 1), TODAY))),
    row(
        "how much did I spend in the last 7 days?", ask("spent", None, (date(2026, 11, 19), TODAY))
    ),
    row(
        "how much did I spend on groceries in October?",
        ask("spent", "groceries", (date(2026, 10, 1), date(2026, 10, 31))),
    ),
    row("spent a lot on food", ask("spent", "food", NOVEMBER)),  # never an entry
    row("expenses in December", ask("spent", None, (date(2025, 12, 1), date(2025, 12, 31)))),
    row("what's left for groceries?", ask("left", "groceries")),
    row("what’s left for groceries?", ask("left", "food"), FOOD),
    row("whats left", ask("left")),
    row("how much is left in my food budget?", ask("left", "food"), FOOD),
    row("left for fun?", ask("left", "fun")),
    row("remaining budget for transport?", ask("left", "Transport"), FOOD),
    row("how much more can I spend on food?", ask("left", "food"), FOOD),
    row(
        "biggest expenses in October", ask("biggest", None, (date(2026, 10, 1), date(2026, 10, 31)))
    ),
    row("biggest expenses this month", ask("biggest", None, NOVEMBER)),
    row("top expenses last month?", ask("biggest", None, (date(2026, 10, 1), date(2026, 10, 31)))),
    row(
        "what were my largest purchases in Sept 2025?",
        ask("biggest", None, (date(2025, 9, 1), date(2025, 9, 30))),
    ),
    row("how much did I earn this month?", ask("earned", None, NOVEMBER)),
    row("income last year?", ask("earned", None, (date(2025, 1, 1), date(2025, 12, 31)))),
    row("how much can I spend?", ask("safe_to_spend")),
    row("how much can I spend today?", ask("safe_to_spend", None, (TODAY, TODAY))),
    row("what can I still spend?", ask("safe_to_spend")),
    row("how much may I spend?", ask("safe_to_spend")),
    row("spent in May?", ask("spent", None, (date(2026, 5, 1), date(2026, 5, 31)))),
    row("safe to spend?", ask("safe_to_spend")),
    row("/safe", ask("safe_to_spend")),
    row("/safe@finbot_bot", ask("safe_to_spend")),
    row("what is the weather?", no("a question I cannot answer")),
    row("coffee 4.50?", no("a question I cannot answer")),
]

AMBIGUOUS: list[Row] = [
    row("12 13 lunch", Ambiguous((out("12.00", "lunch"), out("13.00", "lunch")))),
    row("taxi 10 20", Ambiguous((out("10.00", "taxi"), out("20.00", "taxi")))),
    row("2 coffees 7", Ambiguous((out("2.00", "coffees"), out("7.00", "coffees")))),
    row(
        "lunch 12,30 and 4,50 tip",
        Ambiguous((out("12.30", "lunch", "lunch and tip"), out("4.50", "lunch", "lunch and tip"))),
    ),
    row(
        "$5 coffee 6",
        Ambiguous((out("5.00", "coffee", currency="USD"), out("6.00", "coffee", currency="USD"))),
    ),
    row(
        "taxi 12.50 + tip 2",
        Ambiguous((out("12.50", "taxi", "taxi tip"), out("2.00", "taxi", "taxi tip"))),
    ),
    row("+100 20 salary", Ambiguous((into("100.00", "salary"), into("20.00", "salary")))),
    row("+100 200 salary", into("100200.00", "salary")),  # a group of three: thousands
]

REFUSED: list[Row] = [
    row("hello", no("a greeting")),
    row("Hi!", no("a greeting")),
    row("hi there", no("a greeting")),
    row("good morning", no("a greeting")),
    row("thanks", no("a greeting")),
    row("thank you!", no("a greeting")),
    row("hey bot", no("a greeting")),
    row("", no("no amount")),
    row("coffee", no("no amount")),
    row("a lot on food", no("no amount")),
    row("taxi 10 20 30", no("several amounts")),
    row("4.50", no("no category")),
    row("€ 12", no("no category")),
    row("12 000", no("no category")),
    row("yesterday 18", no("no category")),
    row("coffee 0", no("no amount")),
    row("house 1000000000000", no("amount out of range")),
    row("price 4.5678", no("no amount")),
    row("10:30", no("a time, not an amount")),
    row("meeting at 10:30", no("a time, not an amount")),
    row("dentist 9am", no("a time, not an amount")),
    row("train at 18h45", no("a time, not an amount")),
    row("call me +44 20 7946 0958", no("a phone number")),
    row("+1 555 123 4567", no("a phone number")),
    row("555-123-4567", no("a phone number")),
    row("(555) 123-4567 plumber", no("a phone number")),
    row("my number 0171234567", no("a phone number")),
    row("1.2.3", no("a version number")),
    row("update to 2.10.4", no("a version number")),
    row("v2 release", no("a version number")),
    row("https://example.com 5", no("a link")),
    row("see www.shop.com 20", no("a link")),
    row("example.com/pay 5", no("a link")),
    row("mail me at ana@example.com 5", no("an email address")),
    row("discount 20%", no("a percentage, not an amount")),
    row("¥1500.5 ramen", no("too many decimals for JPY")),
    row("ramen 1500,50", no("too many decimals for JPY"), PLAIN, "JPY"),
    row("$5 coffee €6", no("two currencies")),
    row("05/03 dinner 40", no("a date that reads two ways (day/month or month/day)")),
    row("31.02.2026 taxi 5", no("not a date")),
    row("/start", no("a command")),
    row("/budget", no("a command")),
    row("/add", no("no amount")),
    row("/expense taxi", no("no amount")),
]

TABLE: list[Row] = ENTRIES + CURRENCIES + RECURRING + QUESTIONS + AMBIGUOUS + REFUSED


@pytest.mark.parametrize("row", TABLE, ids=[f"{n}:{r[0]}" for n, r in enumerate(TABLE)])
def test_reads(row: Row) -> None:
    message, expected, hints, base = row
    assert read_message(message, TODAY, hints, base) == expected


@pytest.mark.parametrize(
    ("message", "reason"),
    [("how much did I spend?", "no amount"), ("12 13 lunch", "several amounts"),
     ("hello", "no amount"), ("10:30", "no amount"), ("rent 900 monthly", "no amount"),
     ("4.50", "no category"), ("house 1000000000000", "amount out of range")],
)  # fmt: skip
def test_parse_message_records_only_entries(message: str, reason: str) -> None:
    """The narrow door the bot records from: only one-off entries, only the reasons it knows."""
    assert parse_message(message, TODAY) == Unparsed(reason)
    assert parse_message("coffee 4.50", TODAY) == out("4.50", "coffee")


@pytest.mark.parametrize(
    ("token", "value"),
    [("4.50", "4.50"), ("4,5", "4.5"), ("1,250.00", "1250.00"), ("1.250,00", "1250.00"),
     ("1.250", "1250"), ("007", "7"), ("0", None), ("1.2.3", None), ("12,345,67", None)],
)  # fmt: skip
def test_amount_forms(token: str, value: str | None) -> None:
    expected = Decimal(value) if value is not None else None
    assert parse_amount(token) == expected


@pytest.mark.parametrize(
    ("token", "currency", "value"),
    [("0.125", "KWD", "0.125"), ("1.250", "KWD", "1.250"), ("1.250", "EUR", "1250.00"),
     ("100", "JPY", "100"), ("12.5", "JPY", None), ("4.50", "EUR", "4.50"),
     ("4.505", "EUR", "4505.00"), ("4.5051", "EUR", None), ("x", "EUR", None)],
)  # fmt: skip
def test_amount_in_a_currencys_own_decimals(token: str, currency: str, value: str | None) -> None:
    expected = Decimal(value) if value is not None else None
    found = parse_amount_in(token, currency)
    assert found == expected
    if expected is not None:
        assert found is not None and found.as_tuple().exponent == expected.as_tuple().exponent
