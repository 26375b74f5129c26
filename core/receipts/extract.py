"""Receipt text -> a Reading, or None when the text is not a receipt (pure, no I/O).

Amounts go through price-parser (it knows 1.234,56 from 1,234.56), dates through
python-dateutil with month names from Babel's CLDR data, and the user's locale
(Babel again) decides whether 03/04 is the 3rd of April or March the 4th.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

from babel import Locale, UnknownLocaleError
from dateutil import parser as dateutil_parser
from price_parser import Price

from core.currencies import CURRENCY_EXPONENTS
from core.receipts.schemas import Reading, ReceiptLine

_CURRENCY_MARK = r"(?:[€$£¥₹₽₺]|EUR|USD|GBP|CHF|JPY|CAD|AUD|SEK|NOK|DKK|PLN|CZK)"
# An amount at the end of a line: always two decimals, so a quantity or a street
# number is never taken for money; a VAT class letter, a star or an OCR crumb may follow.
# Searched for in the line with its end's blanks stripped, and what comes before it is
# the line's text: no two parts can trade the same blanks between them, so the search
# takes time linear in the line (a ".*?" text before "\s*" was quadratic in a run of tabs).
_AMOUNT_AT_END = re.compile(
    rf"(?P<sign>-\s?)?(?P<before>{_CURRENCY_MARK})?\s?"
    r"(?<![\d.,/])(?P<number>\d{1,3}(?:[.,']\d{3})+[.,]\s?\d{2}|\d+[.,]\s?\d{2})(?!\d)"
    rf"\s?(?P<minus>-)?\s?(?P<after>{_CURRENCY_MARK})?(?:\s*(?:[A-Z]{{1,2}}|[^\w\s]{{1,2}}))?$"
)
# What is read of a text: a receipt's lines are short and a few hundred at most; longer
# lines (a PDF's text layer is anyone's text) are not a receipt's, and past this many
# lines the rest is not looked at. Each line then costs the patterns below a bounded time.
MAX_LINE_CHARS = 200
MAX_LINES = 500
# An unlabelled total is the sum of the amounts right above it: of at most this many.
SUM_WINDOW = 50


# Strongest first: a label that can only mean "what you pay" beats a bare "total".
_TOTAL_LABELS: list[tuple[int, re.Pattern[str]]] = [
    (
        3,
        re.compile(
            r"\b(amount due|total due|balance due|grand total|total to pay|to pay|"
            r"zu zahlen|gesamtbetrag|endbetrag|total ttc|net a payer|a payer|montant ttc|"
            r"totale complessivo|totale da pagare|total a pagar|importe total|te betalen|"
            r"do zaplaty|valor a pagar)\b"
        ),
    ),
    (
        2,
        re.compile(
            r"\b(total|summe|gesamt|brutto|totale|totaal|suma|razem|importe|montant|betrag|"
            r"amount)\b"
        ),
    ),
]
# Lines that carry a total-like word but are not the amount paid.
_NOT_TOTAL = re.compile(
    r"(sub ?-?total|zwischensumme|sous ?-?total|total ht|\bht\b|subtotale|imponibile|netto|"
    r"net amount|\btax|\bvat\b|mwst|\bust\b|\btva\b|\biva\b|\bbtw\b|discount|saving|rabatt|"
    r"remise|sconto|change|r\w{1,2}ckgeld|wechselgeld|rendu|\bresto\b|cash|\bbar\b|gegeben|"
    r"tendered|contanti|card|karte|carte|\btip\b|trinkgeld|\bitems?\b|artikel|qty|quantity)"
)
_SKIP_MERCHANT = re.compile(
    r"(receipt|invoice|rechnung|kassenbon|quittung|\bbon\b|ticket|scontrino|facture|recibo|"
    r"\btel\b|phone|fax|www|http|@|welcome|willkommen|bienvenue|benvenuti|\bstr\b|street|"
    r"strasse|\brue\b|\bvia\b|thank|danke|merci|grazie)"
)
_NUMERIC_DATE = re.compile(r"(?<![\d.,])(\d{1,4}[./-]\d{1,2}[./-]\d{2,4})(?![\d,]|\.\d)")
_NAMED_DATE = re.compile(
    r"(?<![\w])(\d{1,2}\.?[\s./-]*[A-Za-zÀ-ÿ]{3,10}\.?[\s./-]*\d{2,4}"
    r"|[A-Za-zÀ-ÿ]{3,10}\.?\s+\d{1,2},?\s+\d{4})(?![\w])"
)
_SYMBOLS = {"€": "EUR", "£": "GBP", "₹": "INR", "₽": "RUB", "₺": "TRY"}
_DOLLAR_CURRENCIES = {"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN", "TWD", "CLP", "COP"}
_MONTH_LOCALES = ("en", "de", "fr", "it", "es", "nl", "pt")
# Month-first is the exception (the US and a few others); with no hint we read day-first.
_DEFAULT_DAY_FIRST = True
# What the confidence is made of: how the total was found counts most.
_WEIGHT_LABELLED_TOTAL = 0.45
_WEIGHT_SUMMED_TOTAL = 0.3
_WEIGHT_ITEMS_ADD_UP = 0.2
_WEIGHT_DATE = 0.15
_WEIGHT_MERCHANT = 0.1
_WEIGHT_CURRENCY = 0.1


@dataclass(frozen=True)
class _AmountLine:
    index: int
    text: str
    amount: Decimal
    currency: str | None


def _plain(text: str) -> str:
    """Lower case without accents, so 'Net à payer' and an OCR's 'Net a payer' match."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _currency_of_mark(mark: str | None, base_currency: str) -> str | None:
    if not mark:
        return None
    if mark == "$":
        return base_currency if base_currency in _DOLLAR_CURRENCIES else "USD"
    if mark == "¥":
        return base_currency if base_currency in ("CNY", "JPY") else "JPY"
    if mark in _SYMBOLS:
        return _SYMBOLS[mark]
    return mark if mark in CURRENCY_EXPONENTS else None


def _amount_at_end(line: str) -> tuple[str, re.Match[str]] | None:
    """(the text before it, the match) of the amount that ends `line`, if one does."""
    line = line.rstrip()
    match = _AMOUNT_AT_END.search(line)
    return None if match is None else (line[: match.start()], match)


def _amount_line(index: int, line: str, base_currency: str) -> _AmountLine | None:
    found = _amount_at_end(line)
    if found is None:
        return None
    before, match = found
    parsed = Price.fromstring(match["number"].replace(" ", "")).amount
    if parsed is None:
        return None
    amount = parsed.quantize(Decimal("0.01"))
    if match["sign"] or match["minus"]:
        amount = -amount
    mark = match["before"] or match["after"]
    text = before.rstrip().strip(" .:*=-\t")
    return _AmountLine(index, text, amount, _currency_of_mark(mark, base_currency))


def _total_priority(text: str) -> int:
    plain = _plain(text)
    if _NOT_TOTAL.search(plain):
        return 0
    for priority, pattern in _TOTAL_LABELS:
        if pattern.search(plain):
            return priority
    return 0


@cache
def _day_first(locale_hint: str | None) -> bool:
    if not locale_hint:
        return _DEFAULT_DAY_FIRST
    try:
        locale = Locale.parse(locale_hint.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return _DEFAULT_DAY_FIRST
    pattern = locale.date_formats["short"].pattern
    day, month = pattern.find("d"), pattern.find("M")
    if day < 0 or month < 0:
        return _DEFAULT_DAY_FIRST
    return day < month


class _ManyLanguages(dateutil_parser.parserinfo):
    """dateutil's parser, knowing month names in the languages receipts come in."""

    def __init__(self, dayfirst: bool) -> None:
        names: list[set[str]] = [set() for _ in range(12)]
        for code in _MONTH_LOCALES:
            months = Locale.parse(code).months["format"]
            for width in ("wide", "abbreviated"):
                for number, name in months[width].items():
                    names[number - 1].add(_plain(name).rstrip("."))
        self.MONTHS = [tuple(sorted(group)) for group in names]  # type: ignore[misc]  # stubs allow 2-3 names a month
        super().__init__(dayfirst=dayfirst)


@cache
def _date_parser_info(dayfirst: bool) -> _ManyLanguages:
    return _ManyLanguages(dayfirst)


def _parse_date(token: str, dayfirst: bool, today: date) -> date | None:
    # An ISO date is year-month-day whatever the locale: with dayfirst too, dateutil reads Y-D-M.
    year_first = bool(re.match(r"\d{4}", token))
    try:
        parsed = dateutil_parser.parse(
            _plain(token),
            parserinfo=_date_parser_info(dayfirst),
            dayfirst=dayfirst and not year_first,
            yearfirst=year_first,
        ).date()
    except (ValueError, OverflowError):
        return None
    # A receipt is from this century and not from the future (a day of slack for zones).
    if parsed.year < 2000 or parsed.toordinal() > today.toordinal() + 1:
        return None
    return parsed


def _find_date(lines: list[str], locale_hint: str | None, today: date) -> date | None:
    dayfirst = _day_first(locale_hint)
    for line in lines:
        for pattern in (_NUMERIC_DATE, _NAMED_DATE):
            for match in pattern.finditer(line):
                found = _parse_date(match.group(1), dayfirst, today)
                if found is not None:
                    return found
    return None


def _find_merchant(lines: list[str]) -> str | None:
    for line in lines[:6]:
        text = line.strip(" .,:;-_*=#|~>")
        if _amount_at_end(text) or _NUMERIC_DATE.search(text) or _NAMED_DATE.search(text):
            continue
        # An address starts with its number, a phone or post code has many digits.
        if text[:1].isdigit() or sum(char.isdigit() for char in text) >= 4:
            continue
        if _SKIP_MERCHANT.search(_plain(text)):
            continue
        # OCR crumbs around the name ("~ . BAKERY. -") go; words of two or more letters stay.
        words = [word.strip(".,:;-_*=#|'\"`~°<>") for word in text.split()]
        words = [word for word in words if sum(char.isalpha() for char in word) >= 2]
        name = " ".join(words)
        if sum(char.isalpha() for char in name) >= 3:
            return name
    return None


def _summed_total(amounts: list[_AmountLine]) -> tuple[_AmountLine, list[_AmountLine]] | None:
    """The largest amount that the two or more amounts right above it add up to (at most
    SUM_WINDOW of them: time linear in the number of amounts, not quadratic)."""
    best: tuple[_AmountLine, list[_AmountLine]] | None = None
    for end, candidate in enumerate(amounts):
        if candidate.amount <= 0:
            continue
        running = Decimal(0)
        for start in range(end - 1, max(-1, end - 1 - SUM_WINDOW), -1):
            running += amounts[start].amount
            if running == candidate.amount and end - start >= 2:
                if best is None or candidate.amount > best[0].amount:
                    best = (candidate, amounts[start:end])
                break
    return best


def _text_currency(lines: list[str], base_currency: str) -> str | None:
    for symbol, code in _SYMBOLS.items():
        if any(symbol in line for line in lines):
            return code
    for line in lines:
        for code in re.findall(r"\b(EUR|USD|GBP|CHF|JPY|CAD|AUD|SEK|NOK|DKK|PLN|CZK)\b", line):
            return str(code)
    if any("$" in line for line in lines):
        return _currency_of_mark("$", base_currency)
    return None


def _joined_labels(lines: list[str]) -> list[str]:
    """A total label on one line and its amount alone on the next become one line."""
    joined: list[str] = []
    for line in lines:
        if (
            joined
            and _total_priority(joined[-1])
            and not _amount_at_end(joined[-1])
            and (found := _amount_at_end(line))
            and not found[0].strip()
        ):
            joined[-1] = f"{joined[-1]} {line}"
        else:
            joined.append(line)
    return joined


def _receipt_lines(text: str) -> list[str]:
    """The text's non-blank lines, stripped: the first MAX_LINES of at most MAX_LINE_CHARS."""
    lines = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and len(line) <= MAX_LINE_CHARS:
            lines.append(line)
            if len(lines) == MAX_LINES:
                break
    return lines


def extract_reading(
    text: str,
    *,
    base_currency: str,
    locale_hint: str | None = None,
    ocr_confidence: float = 1.0,
    today: date | None = None,
) -> Reading | None:
    """The receipt in `text`, or None when no total can be found in it.

    `ocr_confidence` in [0, 1] is how sure the OCR was of its words (1 for a PDF's
    own text); it scales the confidence of the reading.
    """
    today = today or date.today()
    lines = _joined_labels(_receipt_lines(text))
    amounts = [
        found
        for index, line in enumerate(lines)
        if (found := _amount_line(index, line, base_currency)) is not None
    ]
    if not amounts:
        return None

    score = 0.0
    labelled = [(found, _total_priority(found.text)) for found in amounts]
    labelled = [(found, priority) for found, priority in labelled if priority]
    if labelled:
        top = max(priority for _, priority in labelled)
        total_line = max(
            (found for found, priority in labelled if priority == top),
            key=lambda found: found.amount,
        )
        items = [
            found
            for found in amounts
            if found.index < total_line.index
            and found.text
            and not _total_priority(found.text)
            and not _NOT_TOTAL.search(_plain(found.text))
        ]
        score += _WEIGHT_LABELLED_TOTAL
    else:
        summed = _summed_total(amounts)
        if summed is None:
            return None
        total_line, items = summed
        items = [found for found in items if found.text]
        score += _WEIGHT_SUMMED_TOTAL
    if total_line.amount <= 0:
        return None

    if items and sum((found.amount for found in items), Decimal(0)) == total_line.amount:
        score += _WEIGHT_ITEMS_ADD_UP
    found_date = _find_date(lines, locale_hint, today)
    if found_date is not None:
        score += _WEIGHT_DATE
    merchant = _find_merchant(lines)
    if merchant is not None:
        score += _WEIGHT_MERCHANT
    currency = total_line.currency or _text_currency(lines, base_currency)
    if currency is not None:
        score += _WEIGHT_CURRENCY
    quality = min(1.0, max(0.0, ocr_confidence))
    confidence = round(min(1.0, score) * (0.5 + 0.5 * quality), 2)
    return Reading(
        total=total_line.amount,
        currency=currency or base_currency,
        date=found_date,
        merchant=merchant,
        lines=[ReceiptLine(text=found.text, amount=found.amount) for found in items],
        confidence=confidence,
    )
