"""Free text -> an expense or an income. Pure: no I/O, the clock is a parameter.

Reads: the amount before or after the words; "," or "." as the decimal mark;
thousands separators (1,250.00 / 1.250,00 / 1 250); currency signs and codes
before or after (€ $ £ EUR USD ...); "spent X on Y", "paid X for Y"; "+X",
"income X", "received X" for incomes; dates "today", "yesterday", "N days
ago", weekday names (the most recent one, today included), "12.03",
"12.03.2025", "2025-03-12". A message with no amount, or with several amounts
and no way to choose, is not an entry: nothing is recorded on a guess.
"""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Literal

Kind = Literal["expense", "income"]

CURRENCY_SIGNS = "€$£¥₽₴₺₹"
CURRENCY_CODES = frozenset(
    "eur usd gbp jpy chf cad aud sek nok dkk pln czk huf ron bgn rub uah try inr brl mxn".split()
)
WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
INCOME_WORDS = frozenset({"income", "received", "earned", "got"})
EXPENSE_WORDS = frozenset({"spent", "paid", "bought", "spend", "pay"})
FILLER_WORDS = frozenset(
    "on for at with a an the to in of my from by and was were is today yesterday ago days day"
    " last".split()
)
# Built-in synonyms: a word and the broader category it belongs to. Used only when
# the person has that category (a budget or past entries), so nothing is invented.
_SYNONYM_GROUPS = {
    "food": "pizza lunch dinner breakfast coffee cafe restaurant burger sushi snack snacks"
    " groceries grocery supermarket bakery bread milk takeaway meal",
    "transport": "taxi uber bus metro train tram fuel petrol gas parking ticket",
    "fun": "cinema movie movies concert netflix spotify game games bar beer",
    "bills": "rent electricity water internet phone",
    "health": "pharmacy doctor medicine dentist",
}
SYNONYMS: dict[str, str] = {
    word: group for group, words in _SYNONYM_GROUPS.items() for word in words.split()
}
# The names a person may have given each broad category.
SYNONYM_ALIASES = {
    "food": {"food", "groceries", "eating", "meals"},
    "transport": {"transport", "transportation", "travel", "commute"},
    "fun": {"fun", "entertainment", "leisure"},
    "bills": {"bills", "utilities", "housing"},
    "health": {"health", "medical"},
}

_NUMBER_FORMS = [
    # 1,250.00  1.250,00  1 250,00  1'250.00 (thousands groups, then 1-2 decimals)
    (re.compile(r"^\d{1,3}(?:,\d{3})+\.\d{1,2}$"), ",", "."),
    (re.compile(r"^\d{1,3}(?:\.\d{3})+,\d{1,2}$"), ".", ","),
    (re.compile(r"^\d{1,3}(?:'\d{3})+(?:\.\d{1,2})?$"), "'", "."),
    # 1,250  1.250 (thousands only: three digits after the mark are never cents)
    (re.compile(r"^\d{1,3}(?:,\d{3})+$"), ",", None),
    (re.compile(r"^\d{1,3}(?:\.\d{3})+$"), ".", None),
    # 4.50  12,30  2500
    (re.compile(r"^\d+[.,]\d{1,2}$"), None, "either"),
    (re.compile(r"^\d+$"), None, None),
]
_DAY_MONTH = re.compile(r"^(\d{1,2})\.(\d{1,2})(?:\.(\d{4}))?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_CODE_AFFIX = re.compile(r"^([a-z]{3})?(\+?[\d.,']+)([a-z]{3})?$")


@dataclass(frozen=True)
class ParsedEntry:
    kind: Kind
    amount: Decimal
    category: str  # for an income: its source
    date: date
    description: str


@dataclass(frozen=True)
class Unparsed:
    reason: str


@dataclass(frozen=True)
class CategoryHints:
    """What the person already uses: their categories, and words they filed under them."""

    categories: tuple[str, ...] = ()
    words: dict[str, str] = field(default_factory=dict)  # lower-case word -> category

    def resolve(self, words: list[str]) -> str | None:
        own = {c.lower(): c for c in self.categories}
        for word in words:
            if word.lower() in own:
                return own[word.lower()]
        for word in words:
            if word.lower() in self.words:
                return self.words[word.lower()]
        for word in words:
            broad = SYNONYMS.get(word.lower())
            if broad is None:
                continue
            for alias in SYNONYM_ALIASES[broad]:
                if alias in own:
                    return own[alias]
        return None


def parse_amount(token: str) -> Decimal | None:
    """A number in any of the forms above, or None."""
    for pattern, thousands, decimal_mark in _NUMBER_FORMS:
        if not pattern.match(token):
            continue
        text = token
        if thousands:
            text = text.replace(thousands, "")
        if decimal_mark and decimal_mark != "either":
            text = text.replace(decimal_mark, ".")
        elif decimal_mark == "either":
            text = text.replace(",", ".")
        try:
            value = Decimal(text)
        except InvalidOperation:
            return None
        return value if value > 0 else None
    return None


def _date_of(token: str, today: date) -> date | None:
    iso = _ISO_DATE.match(token)
    if iso:
        try:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        except ValueError:
            return None
    day_month = _DAY_MONTH.match(token)
    if day_month:
        day, month = int(day_month[1]), int(day_month[2])
        year = int(day_month[3]) if day_month[3] else today.year
        try:
            found = date(year, month, day)
        except ValueError:
            return None
        if not day_month[3] and found > today:  # "12.03" in January means last March
            try:
                found = found.replace(year=year - 1)
            except ValueError:
                return None
        return found
    return None


@dataclass
class _Scan:
    words: list[str] = field(default_factory=list)
    amounts: list[tuple[Decimal, str]] = field(default_factory=list)
    day_months: list[tuple[date, str]] = field(default_factory=list)
    day: date | None = None
    kind: Kind = "expense"


def _split(text: str) -> list[str]:
    # Currency signs become their own tokens: "€12,30", "12,30€", "€ 12,30" alike.
    spaced = re.sub(f"([{CURRENCY_SIGNS}])", r" \1 ", text)
    return [t.strip('!?;:()"') for t in spaced.split() if t.strip('!?;:()"')]


def _scan(text: str, today: date) -> _Scan:
    scan = _Scan()
    tokens = _split(text)
    index = 0
    while index < len(tokens):
        token = tokens[index]
        lower = token.lower()
        following = tokens[index + 1].lower() if index + 1 < len(tokens) else ""
        after = tokens[index + 2].lower() if index + 2 < len(tokens) else ""
        if lower in CURRENCY_CODES or (len(token) == 1 and token in CURRENCY_SIGNS):
            index += 1
            continue
        if lower == "today":
            scan.day = today
        elif lower == "yesterday":
            scan.day = today - timedelta(days=1)
        elif lower.isdigit() and following in {"day", "days"} and after == "ago":
            scan.day = today - timedelta(days=int(lower))
            index += 3
            continue
        elif lower in WEEKDAYS:
            weekday = WEEKDAYS.index(lower)
            scan.day = today - timedelta(days=(today.weekday() - weekday) % 7)
        elif (iso := _ISO_DATE.match(token)) is not None:
            scan.day = _date_of(iso[0], today) or scan.day
        elif lower in INCOME_WORDS and not scan.amounts:
            scan.kind = "income"
        elif lower in EXPENSE_WORDS:
            pass
        else:
            number = lower
            if number.startswith("+"):
                scan.kind = "income"
                number = number[1:]
            affix = _CODE_AFFIX.match(number)
            if affix and (affix[1] or affix[3]):
                codes = {c for c in (affix[1], affix[3]) if c}
                if codes <= CURRENCY_CODES:
                    number = affix[2].lstrip("+")
            amount = parse_amount(number)
            as_date = _date_of(number, today) if _DAY_MONTH.match(number) else None
            if amount is not None:
                scan.amounts.append((amount, token))
                if as_date is not None:
                    scan.day_months.append((as_date, token))
            elif as_date is not None:
                scan.day = as_date
            elif any(ch.isalpha() for ch in token):
                scan.words.append(token)
        index += 1
    return scan


def parse_message(
    text: str, today: date, hints: CategoryHints | None = None
) -> ParsedEntry | Unparsed:
    hints = hints or CategoryHints()
    scan = _scan(text.strip(), today)
    amounts = scan.amounts
    if len(amounts) > 1 and scan.day_months:
        # "taxi 18 12.03": the token that can be a day.month is the date.
        dated = [a for a in amounts if a[1] in {token for _, token in scan.day_months}]
        if len(dated) == 1 and len(amounts) == 2:
            scan.day = scan.day or next(d for d, t in scan.day_months if t == dated[0][1])
            amounts = [a for a in amounts if a is not dated[0]]
    if not amounts:
        return Unparsed("no amount")
    if len(amounts) > 1:
        return Unparsed("several amounts")
    amount = amounts[0][0]
    if amount >= Decimal("1e12"):
        return Unparsed("amount out of range")
    content = [w for w in scan.words if w.lower() not in FILLER_WORDS]
    category = hints.resolve(content) if content else None
    if category is None:
        if not content:
            if scan.kind == "expense":
                return Unparsed("no category")
            category = "income"
        else:
            category = content[0].lower()
    phrase = list(scan.words)
    while phrase and phrase[0].lower() in FILLER_WORDS:  # "on groceries" -> "groceries"
        phrase.pop(0)
    description = " ".join(phrase)
    return ParsedEntry(
        kind=scan.kind,
        amount=amount.quantize(Decimal("0.01")),
        category=category[:64],
        date=scan.day or today,
        description=description[:1000],
    )
