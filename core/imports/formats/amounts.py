"""Amounts as banks write them, to exact Decimals (never through float)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_CURRENCY_NOISE = re.compile(r"[^\d.,+\-()−]")
_PLAIN_NUMBER = re.compile(r"^\d+(\.\d+)?$")
COMMA_DECIMAL = re.compile(r"\d,\d{1,2}\)?-?$|\d\.\d{3},")
DOT_DECIMAL = re.compile(r"\d\.\d{1,2}\)?-?$|\d,\d{3}\.")


def parse_amount(text: str, decimal_mark: str) -> Decimal:
    """`-1.234,56`, `1,234.56`, `(12.50)`, `12,50-`, `€ 12.50`, `1 234,56` -> exact Decimal."""
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
    if not _PLAIN_NUMBER.match(value):
        raise ValueError(f"{text.strip()!r} is not an amount")
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:  # pragma: no cover - the pattern above already checked
        raise ValueError(f"{text.strip()!r} is not an amount") from exc
    return -amount if negative else amount


def guess_decimal_mark(text: str) -> str:
    """`,` for `12,50` or `1.234,56`; else `.` (a lone `1.234` is read the English way)."""
    return "," if COMMA_DECIMAL.search(text.strip()) else "."
