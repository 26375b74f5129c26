"""Free text -> an entry, a question, the readings of an ambiguous entry, or a refusal.

Pure: no I/O, the clock is a parameter. Reads: the amount before or after the
words; "," or "." as the decimal mark; thousands separators (1,250.00 /
1.250,00 / 1 250 with ordinary, thin or narrow no-break spaces); currency
signs and codes before or after (SPEC 5); "spent X on Y", "paid X for Y";
"+X", "income X", "salary X" for incomes, "-X" for money out; the commands
/add /expense /spent /income; dates "today", "yesterday", "N days ago",
weekday names, "3rd", "12.03", "26.12.24", "12.03.2025", "2025-03-12";
`#tags`; recurring phrases (SPEC 7). Questions go to an intent table. Two
amounts give both readings; times, phone numbers, version numbers, links and
greetings are refused. Nothing is recorded on a guess.
"""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Literal

from core.currencies import CURRENCY_EXPONENTS
from core.language.questions import Question, is_question_shaped, parse_question
from core.language.recurrence import Recurrence, find_recurrence

__all__ = [
    "MAX_MESSAGE_CHARS",
    "TOO_LONG",
    "Ambiguous",
    "CategoryHints",
    "ParsedEntry",
    "Question",
    "Unparsed",
    "parse_amount",
    "parse_message",
    "read_message",
]

Kind = Literal["expense", "income"]

# SPEC 12: a longer message is refused before any pattern runs, so what the patterns
# cost is bounded by this length whatever a stranger sends.
MAX_MESSAGE_CHARS = 1000
TOO_LONG = "too long"

WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
INCOME_WORDS = frozenset({"income", "received", "earned", "receive", "earn", "sold", "sell"})
EXPENSE_WORDS = frozenset({"spent", "paid", "bought", "spend", "pay", "buy"})
# Words that name money coming in, read in the category position ("salary 2500").
INCOME_CATEGORIES = frozenset(
    """salary wage wages paycheck paycheque payroll payslip bonus refund refunds reimbursement
    reimbursed cashback cash-back dividend dividends interest pension stipend allowance
    commission royalties royalty rebate tax-refund freelance invoice payout""".split()
)
FILLER_WORDS = frozenset(
    "on for at with a an the to in of my from by and was were is today yesterday ago days day"
    " last got".split()
)
GREETINGS = frozenset(
    """hi hello hey hiya howdy yo hallo hola ciao salut bonjour privet thanks thank thx ty
    cheers bye goodbye morning evening good ok okay start help""".split()
)
_EXPENSE_COMMANDS = frozenset({"/expense", "/spent", "/spend"})
_INCOME_COMMANDS = frozenset({"/income", "/earned"})
_ENTRY_COMMANDS = frozenset({"/add"}) | _EXPENSE_COMMANDS | _INCOME_COMMANDS

# Signs that name one currency, and `$`, which several share (SPEC 5).
SIGN_CURRENCIES = {
    "US$": "USD", "C$": "CAD", "A$": "AUD", "NZ$": "NZD", "R$": "BRL", "HK$": "HKD",
    "S$": "SGD", "€": "EUR", "£": "GBP", "¥": "JPY", "₽": "RUB", "₴": "UAH", "₺": "TRY",
    "₹": "INR", "₩": "KRW", "₪": "ILS", "฿": "THB", "₫": "VND", "₦": "NGN", "₱": "PHP",
    "zł": "PLN",
}  # fmt: skip
DOLLAR_CURRENCIES = frozenset(
    "USD CAD AUD NZD HKD SGD MXN ARS CLP COP TWD BSD BBD BZD BMD BND FJD GYD JMD LRD NAD SBD SRD"
    " TTD XCD KYD".split()
)
# Written in lower case, a code counts only when it is a common one (so "pen",
# "all", "top", "cup" stay words); in upper case any ISO 4217 code counts.
COMMON_CODES = frozenset(
    "eur usd gbp jpy chf cad aud nzd sek nok dkk pln czk huf ron bgn rub uah try inr brl mxn"
    " cny hkd sgd krw thb zar ils aed".split()
)
CURRENCY_WORDS = {
    "dollar": "$", "dollars": "$", "bucks": "$", "buck": "$", "euro": "EUR", "euros": "EUR",
    "pound": "GBP", "pounds": "GBP", "quid": "GBP", "yen": "JPY", "rupees": "INR",
    "rubles": "RUB", "roubles": "RUB", "francs": "CHF", "zloty": "PLN",
}  # fmt: skip
CURRENCY_SIGNS = "€$£¥₽₴₺₹₩₪฿₫₦₱"

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
_THOUSANDS_SUFFIX = re.compile(r"^(\d{1,3}(?:[.,]\d{1,2})?)k$", re.I)
_THREE_DECIMALS = re.compile(r"^\d+[.,]\d{3}$")
_DAY_MONTH = re.compile(r"^(\d{1,2})\.(\d{1,2})(?:\.(\d{4}|\d{2}))?$")
_SLASH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_ORDINAL = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)$")
_TIME = re.compile(r"^\d{1,2}[:h]\d{2}(?::\d{2})?(?:am|pm)?$|^\d{1,2}(?:am|pm)$", re.I)
_VERSION = re.compile(r"^v\d+(?:\.\d+)*$|^\d+(?:\.\d+){2,}$", re.I)
_CODE_AFFIX = re.compile(r"^([a-z]{3})?([+-]?[\d.,']+)([a-z]{3})?$", re.I)
_TOO_LARGE = Decimal("1e12")  # 12 digits before the point, as the entry schemas take
_SPACES = "\u00a0\u2009\u202f\u2007\u2008\u200a"
# Groups of three digits after a space join the number before ("1 500", "2 499,99"),
# unless more digits, a time, a date or a third group of decimals follow.
_SPACED_THOUSANDS = re.compile(
    rf"(?<![\d.,'])\d{{1,3}}(?:[ {_SPACES}]\d{{3}})+(?!\d)(?![:/-]\d)(?![.,]\d{{3}})"
)
# Every pattern here runs on whatever a stranger types (SPEC 12), so none may backtrack
# super-linearly: each repeated run may start only where a run of its characters starts
# (the look-behinds), and no two quantifiers may trade the same characters. The old
# `\S+@\S+\.\w+` took cubic time on "@" * 4096 (28 s; review H1).
_LINK = re.compile(
    r"https?://|\bwww\.|(?<![\w-])-*\w[\w-]*\.(?:com|org|net|io|ru|de|uk|me|app|dev)\b", re.I
)
_EMAIL = re.compile(r"(?<![^\s@])[^\s@]+@[^\s@]+\.\w+")
_PHONE = re.compile(
    r"^\+\d[\d ()-]{7,}\d$|\(\d{3}\)\s*\d{3}[-. ]?\d{4}|\b\d{3}[-.]\d{3}[-.]\d{4}\b"
    r"|\b0\d{9,}\b|\+\d{1,3}[ -]?\(?\d{2,4}\)?(?:[ -]?\d{2,4}){2,}"
)


@dataclass(frozen=True)
class ParsedEntry:
    kind: Kind
    amount: Decimal
    category: str  # for an income: its source
    date: date  # for a recurring entry: its first date on or after today
    description: str
    currency: str | None = None  # ISO 4217; None: the user's base currency
    tags: tuple[str, ...] = ()
    rrule: str | None = None  # RFC 5545, for a recurring entry


@dataclass(frozen=True)
class Ambiguous:
    """Close readings of one message: ask which, record none until one is chosen."""

    readings: tuple[ParsedEntry, ...]


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
        phrase = " ".join(words).lower()
        if phrase in own:
            return own[phrase]
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
    """A positive number in any of the forms above, or None."""
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


def _year(text: str) -> int:
    return int(text) if len(text) == 4 else 2000 + int(text)


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
        year = _year(day_month[3]) if day_month[3] else today.year
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


def _recent_month_day(day: int, today: date) -> date | None:
    """The latest date on or before today that falls on that day of a month."""
    year, month = today.year, today.month
    for _ in range(12):
        try:
            found = date(year, month, day)
        except ValueError:
            found = None
        if found is not None and found <= today:
            return found
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return None


@dataclass
class _Scan:
    words: list[str] = field(default_factory=list)
    amounts: list[tuple[Decimal, str]] = field(default_factory=list)
    day_months: list[tuple[date, str]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    currencies: list[str] = field(default_factory=list)
    day: date | None = None
    kind: Kind | None = None  # said outright: a sign, a command, "income", "spent"
    refusal: str | None = None
    skipped: str | None = None  # a number that is not an amount (time, percentage)


def _normalise(text: str) -> str:
    text = text.replace("\u2212", "-").replace("’", "'")
    # "1 500", "12 000", "1\u202f500,50": digit groups of three are one number.
    text = _SPACED_THOUSANDS.sub(lambda m: re.sub(f"[ {_SPACES}]", "", m[0]), text)
    return re.sub(f"[{_SPACES}]", " ", text)


def _split(text: str) -> list[str]:
    # Currency signs become their own tokens: "€12,30", "12,30€", "€ 12,30", "R$20" alike.
    signs = [*sorted(SIGN_CURRENCIES, key=len, reverse=True), "$"]
    pattern = "|".join(re.escape(sign) for sign in signs)
    spaced = re.sub(f"({pattern})", r" \1 ", text)
    tokens = []
    for raw in spaced.split():
        token = raw.strip('!?;:()"').rstrip(",.")
        if token:
            tokens.append(token)
    return tokens


def _is_numeric(token: str) -> bool:
    return bool(re.match(r"^[+-]?\d", token)) or bool(
        _CODE_AFFIX.match(token) and any(c.isdigit() for c in token)
    )


def _currency_of(token: str, neighbours_numeric: bool) -> str | None:
    """The currency (or "$") a token names, when it names one."""
    if token in SIGN_CURRENCIES:
        return SIGN_CURRENCIES[token]
    if token == "$":
        return "$"
    if not neighbours_numeric:
        return None
    if token.lower() in CURRENCY_WORDS:
        return CURRENCY_WORDS[token.lower()]
    if len(token) == 3 and token.isalpha():
        if token.isupper() and token in CURRENCY_EXPONENTS:
            return token
        if token.lower() in COMMON_CODES:
            return token.upper()
    return None


def _code(text: str | None) -> str | None:
    if not text:
        return None
    if text.isupper() and text in CURRENCY_EXPONENTS:
        return text
    return text.upper() if text.lower() in COMMON_CODES else None


def _scan(tokens: list[str], today: date) -> _Scan:
    scan = _Scan()
    index = 0
    while index < len(tokens):
        token = tokens[index]
        lower = token.lower()
        following = tokens[index + 1].lower() if index + 1 < len(tokens) else ""
        after = tokens[index + 2].lower() if index + 2 < len(tokens) else ""
        numeric_near = (index > 0 and _is_numeric(tokens[index - 1])) or (
            index + 1 < len(tokens) and _is_numeric(tokens[index + 1])
        )
        currency = _currency_of(token, numeric_near)
        if currency is not None:
            scan.currencies.append(currency)
        elif token.startswith("#") and len(token) > 1:
            scan.tags.append(token[1:].lower())
        elif lower == "today":
            scan.day = today
        elif lower == "yesterday":
            scan.day = today - timedelta(days=1)
        elif lower.isdigit() and following in {"day", "days"} and after == "ago":
            try:
                scan.day = today - timedelta(days=int(lower))
            except (ValueError, OverflowError):  # "²", or before the year 1
                scan.refusal = "not a date"
            index += 3
            continue
        elif lower in WEEKDAYS:
            weekday = WEEKDAYS.index(lower)
            scan.day = today - timedelta(days=(today.weekday() - weekday) % 7)
        elif (iso := _ISO_DATE.match(token)) is not None:
            scan.day = _date_of(iso[0], today) or scan.day
        elif (ordinal := _ORDINAL.match(lower)) is not None:
            scan.day = _recent_month_day(int(ordinal[1]), today)
            if scan.day is None:
                scan.refusal = "no such day of the month"
        elif _TIME.match(lower):
            scan.skipped = "a time, not an amount"
        elif re.match(r"^\d+(?:[.,]\d+)?%$", lower):
            scan.skipped = "a percentage, not an amount"
        elif (slash := _SLASH_DATE.match(token)) is not None:
            first, second = int(slash[1]), int(slash[2])
            if first <= 12 and second <= 12 and first != second:
                scan.refusal = "a date that reads two ways (day/month or month/day)"
            else:
                day, month = (first, second) if first > 12 or first == second else (second, first)
                try:
                    year = _year(slash[3]) if slash[3] else today.year
                    scan.day = date(year, month, day)
                    if not slash[3] and scan.day > today:  # "12/25" in March: last December
                        scan.day = scan.day.replace(year=year - 1)
                except ValueError:
                    scan.refusal = "not a date"
        elif lower in INCOME_WORDS and not scan.amounts:
            scan.kind = "income"
        elif lower in EXPENSE_WORDS:
            scan.kind = scan.kind or "expense"
        elif lower == "got" and following == "paid":
            scan.kind = "income"
            index += 2
            continue
        elif _VERSION.match(lower) and not _DAY_MONTH.match(lower) and parse_amount(lower) is None:
            scan.refusal = "a version number"
        else:
            number = token
            affix = _CODE_AFFIX.match(number)
            if affix and (affix[1] or affix[3]):
                codes = [_code(c) for c in (affix[1], affix[3]) if c]
                if all(codes):
                    scan.currencies.extend(c for c in codes if c)
                    number = affix[2]
                else:
                    number = ""
            if number.startswith("+") and number[1:2].isdigit():
                scan.kind = "income"
                number = number[1:]
            elif number.startswith("-") and len(number) > 1 and number[1].isdigit():
                scan.kind = "expense"
                number = number[1:]
            amount = parse_amount(number) if number else None
            if thousands := _THOUSANDS_SUFFIX.match(number):  # "1.5k", "2k"
                amount = (parse_amount(thousands[1]) or Decimal(0)) * 1000 or None
            as_date = _date_of(number, today) if _DAY_MONTH.match(number) else None
            if number and _THREE_DECIMALS.match(number) and amount is not None:
                scan.amounts.append((amount, number))  # read again once the currency is known
            elif amount is not None:
                scan.amounts.append((amount, number))
                if as_date is not None:
                    scan.day_months.append((as_date, number))
            elif as_date is not None:
                scan.day = as_date
            elif _DAY_MONTH.match(number) and number.count(".") == 2:
                scan.refusal = "not a date"
            elif any(ch.isalpha() for ch in token):
                scan.words.append(token)
        index += 1
    return scan


def _refusal(text: str) -> str | None:
    if _EMAIL.search(text):
        return "an email address"
    if _LINK.search(text):
        return "a link"
    if _PHONE.search(text.strip()):
        return "a phone number"
    words = re.findall(r"[a-z']+", text.lower())
    if words and words[0] in GREETINGS and not re.search(r"\d", text):
        return "a greeting"
    return None


def read_message(
    text: str,
    today: date,
    hints: CategoryHints | None = None,
    base_currency: str | None = None,
) -> ParsedEntry | Question | Ambiguous | Unparsed:
    """Everything a chat message can be; see the module docstring."""
    if len(text) > MAX_MESSAGE_CHARS:
        return Unparsed(TOO_LONG)
    hints = hints or CategoryHints()
    text = text.strip()
    forced: Kind | None = None
    if text.startswith("/"):
        command, _, rest = text.partition(" ")
        command = command.split("@")[0].lower()
        if command == "/safe":
            return Question("safe_to_spend", None, None, None)
        if command not in _ENTRY_COMMANDS:
            return Unparsed("a command")
        forced = "income" if command in _INCOME_COMMANDS else None
        forced = "expense" if command in _EXPENSE_COMMANDS else forced
        text = rest.strip()
    text = _normalise(text)
    if (reason := _refusal(text)) is not None:
        return Unparsed(reason)
    has_amount = bool(re.search(r"(?<![\w.])[+-]?[$€£¥]?\d", text))
    if forced is None and is_question_shaped(text, has_amount):
        return _question(text, today, hints)
    recurrence = find_recurrence(text, today)
    if isinstance(recurrence, str):
        return Unparsed(recurrence)
    if recurrence is not None:
        text = recurrence.text
    return _entry(text, today, hints, base_currency, forced, recurrence)


def _question(text: str, today: date, hints: CategoryHints) -> Question | Unparsed:
    found = parse_question(text, today)
    if found is None:
        return Unparsed("a question I cannot answer")
    kind, span, words = found
    if span is None and kind in ("spent", "earned", "biggest"):
        span = (today.replace(day=1), today)
    category = (hints.resolve(words) or " ".join(words)) if words else None
    start, end = span if span else (None, None)
    return Question(kind, category, start, end)


def _exponent(currency: str | None, base_currency: str | None) -> int:
    return CURRENCY_EXPONENTS.get(currency or base_currency or "", 2)


def _entry(
    text: str,
    today: date,
    hints: CategoryHints,
    base_currency: str | None,
    forced: Kind | None,
    recurrence: Recurrence | None,
) -> ParsedEntry | Ambiguous | Unparsed:
    scan = _scan(_split(text), today)
    if scan.refusal is not None:
        return Unparsed(scan.refusal)
    currencies = set(scan.currencies)
    if len(currencies) > 1:
        return Unparsed("two currencies")
    currency = currencies.pop() if currencies else None
    if currency == "$":  # the base currency when it is a dollar, else the best-known one
        currency = base_currency if base_currency in DOLLAR_CURRENCIES else "USD"
    if currency == "JPY" and base_currency == "CNY":
        currency = "CNY"  # ¥ is the yuan's sign too
    exponent = _exponent(currency, base_currency)
    amounts = [(_in_minor_units(amount, token, exponent), token) for amount, token in scan.amounts]
    if len(amounts) > 1 and scan.day_months:
        # "taxi 18 12.03": the token that can be a day.month is the date.
        day_tokens = {token for _, token in scan.day_months}
        dated = [a for a in amounts if a[1] in day_tokens]
        if len(dated) == 1 and len(amounts) == 2:
            scan.day = scan.day or next(d for d, t in scan.day_months if t == dated[0][1])
            amounts = [a for a in amounts if a is not dated[0]]
    if not amounts:
        return Unparsed(scan.skipped or "no amount")
    if len(amounts) > 2:
        return Unparsed("several amounts")
    kind = forced or scan.kind
    content = [w for w in scan.words if w.lower() not in FILLER_WORDS]
    if kind is None:
        named_income = content and content[0].lower() in INCOME_CATEGORIES
        kind = "income" if named_income else "expense"
    category = hints.resolve(content) if content else None
    if category is None:
        if content:
            category = content[0].lower()
        elif scan.tags:
            category = scan.tags[0]
        elif kind == "income":
            category = "income"
        else:
            return Unparsed("no category")
    phrase = list(scan.words)
    while phrase and phrase[0].lower() in FILLER_WORDS:  # "on groceries" -> "groceries"
        phrase.pop(0)
    while phrase and phrase[-1].lower() in FILLER_WORDS:  # "taxi on the 3rd" -> "taxi"
        phrase.pop()
    readings = []
    for amount, _token in amounts:
        if amount is None:
            return Unparsed(f"too many decimals for {currency or base_currency or 'the currency'}")
        if amount >= _TOO_LARGE:
            return Unparsed("amount out of range")
        readings.append(
            ParsedEntry(
                kind=kind,
                amount=amount,
                category=category[:64],
                date=recurrence.first if recurrence else scan.day or today,
                description=" ".join(phrase)[:1000],
                currency=currency,
                tags=tuple(dict.fromkeys(scan.tags)),
                rrule=recurrence.rule if recurrence else None,
            )
        )
    if len(readings) == 2:
        return Ambiguous(tuple(readings))
    return readings[0]


def _in_minor_units(amount: Decimal, token: str, exponent: int) -> Decimal | None:
    """The amount with the currency's decimals, or None when it has more than it takes."""
    if exponent == 3 and _THREE_DECIMALS.match(token):
        amount = Decimal(token.replace(",", "."))  # "1.250" is 1.250 KWD, not 1250
    if -amount.as_tuple().exponent > exponent:  # type: ignore[operator]
        return None
    if amount >= _TOO_LARGE:
        # Past the context's 28 digits quantize raises InvalidOperation (a bot error for
        # "coffee 1111…1"); the caller refuses it as out of range anyway.
        return amount
    return amount.quantize(Decimal(1).scaleb(-exponent))


# The reasons the bot has words for today; parse_message answers only with these.
LEGACY_REASONS = frozenset(
    {"no amount", "several amounts", "no category", "amount out of range", TOO_LONG}
)


def parse_message(
    text: str,
    today: date,
    hints: CategoryHints | None = None,
    base_currency: str | None = None,
) -> ParsedEntry | Unparsed:
    """The narrow door for callers that only record one-off entries (the bot until it is
    re-wired to read_message): questions, two readings and recurring rules refuse, and
    every refusal uses one of LEGACY_REASONS, so nothing is recorded that the caller
    would mis-file (a rule as a one-off entry dated on its first occurrence)."""
    read = read_message(text, today, hints, base_currency)
    if isinstance(read, Ambiguous):
        return Unparsed("several amounts")
    if isinstance(read, Question) or (isinstance(read, ParsedEntry) and read.rrule):
        return Unparsed("no amount")
    if isinstance(read, Unparsed) and read.reason not in LEGACY_REASONS:
        return Unparsed("no amount")
    return read


def parse_amount_in(token: str, currency: str) -> Decimal | None:
    """A positive amount of `currency` with its own decimals ("1.250" is 1.250 KWD but
    1250 EUR); None when it is no number, has more decimals than `currency` takes or
    is past 12 digits."""
    amount = parse_amount(token)
    if amount is None or amount >= _TOO_LARGE:
        return None
    return _in_minor_units(amount, token, _exponent(currency, None))
