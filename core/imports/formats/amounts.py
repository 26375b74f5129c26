"""Amounts as banks write them, to exact Decimals (never through float)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from core.imports.formats.text import quoted
from core.money import MONEY_DECIMALS, MONEY_DIGITS, MONEY_LIMIT

_CURRENCY_NOISE = re.compile(r"[^\d.,+\-()−]")
_PLAIN_NUMBER = re.compile(r"^(\d+)(\.\d+)?$")
# What XML Schema calls a decimal (CAMT.053 <Amt>, OFX <TRNAMT>): no exponent, NaN or INF.
_XML_DECIMAL = re.compile(r"^[+\-]?(\d*)(\.\d*)?$")
# `1e30`, `1.5E+3`: scientific notation is no bank's amount; the noise filter below would
# otherwise drop the `e` and read `-1e30` as -130.
_EXPONENT = re.compile(r"\d[eE][+\-]?\d")
COMMA_DECIMAL = re.compile(r"\d,\d{1,2}\)?-?$|\d\.\d{3},")
DOT_DECIMAL = re.compile(r"\d\.\d{1,2}\)?-?$|\d,\d{3}\.")
INTEGER_DIGITS = MONEY_DIGITS - MONEY_DECIMALS  # what the database holds before the point


def _check_integer_digits(integer: str, text: str) -> None:
    # Counted on the text, before Decimal() sees a number of any length.
    if len(integer.lstrip("0")) > INTEGER_DIGITS:
        raise ValueError(f"{quoted(text)} is past {INTEGER_DIGITS} digits before the point")


def checked_amount(amount: Decimal, text: str) -> Decimal:
    """`amount` (read from `text` by a library) if finbot can hold it: finite, written without
    an exponent, under MONEY_LIMIT; else ValueError, which each reader makes a failed line."""
    if not amount.is_finite() or _EXPONENT.search(text):
        raise ValueError(f"{quoted(text)} is not an amount")
    if abs(amount) >= MONEY_LIMIT:
        raise ValueError(f"{quoted(text)} is past {INTEGER_DIGITS} digits before the point")
    return amount


def decimal_amount(text: str) -> Decimal:
    """A plain decimal as XML writes it (`-1234.5`), checked like `checked_amount`."""
    value = text.strip()
    match = _XML_DECIMAL.match(value)
    if match is None or not any(ch.isdigit() for ch in value):
        raise ValueError(f"{quoted(text)} is not an amount")
    _check_integer_digits(match.group(1), text)
    return checked_amount(Decimal(value), value)


def parse_amount(text: str, decimal_mark: str) -> Decimal:
    """`-1.234,56`, `1,234.56`, `(12.50)`, `12,50-`, `€ 12.50`, `1 234,56` -> exact Decimal."""
    if _EXPONENT.search(text):
        raise ValueError(f"{quoted(text.strip())} is not an amount")
    value = _CURRENCY_NOISE.sub("", text.replace("−", "-"))
    negative = False
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1]
    if value.endswith("-"):  # German ledgers write the sign last
        negative, value = not negative, value[:-1]
    if value.startswith(("-", "+")):
        negative, value = negative ^ (value[0] == "-"), value[1:]
    thousands = "." if decimal_mark == "," else ","
    value = value.replace(thousands, "")
    if decimal_mark == ",":
        value = value.replace(",", ".")
    match = _PLAIN_NUMBER.match(value)
    if match is None:
        raise ValueError(f"{quoted(text.strip())} is not an amount")
    _check_integer_digits(match.group(1), text.strip())
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:  # pragma: no cover - the pattern above already checked
        raise ValueError(f"{quoted(text.strip())} is not an amount") from exc
    return -amount if negative else amount


def guess_decimal_mark(text: str) -> str:
    """`,` for `12,50` or `1.234,56`; else `.` (a lone `1.234` is read the English way)."""
    return "," if COMMA_DECIMAL.search(text.strip()) else "."
