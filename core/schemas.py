"""Pydantic building blocks shared by every domain's schemas."""

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)

from core.currencies.codes import CURRENCY_EXPONENTS, is_currency
from core.money import MONEY_DECIMALS, MONEY_DIGITS, MONEY_LIMIT, MoneySerializer

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value: Any) -> Any:
    # pydantic would also take Unix timestamps and other shapes; SPEC says YYYY-MM-DD.
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date as YYYY-MM-DD")
    return value


def _known_currency(value: str) -> str:
    code = value.upper()
    if not is_currency(code):
        raise ValueError("must be an ISO 4217 currency code such as EUR")
    return code


def _storable_text(value: str) -> str:
    # NUL and lone surrogates pass JSON and pydantic but no database stores them.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


StorableText = AfterValidator(_storable_text)
IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]

# The JSON schemas below say exactly what the validators take, so that a client (or
# a fuzzer) holding a schema-valid value is never refused, nor an invalid one taken.
# Patterns spell every character out (no \s, \w): JSON Schema reads them as
# ECMA-262, Python as `re`, and the two disagree on what those classes hold.

# What `strip_whitespace` strips: Unicode White_Space (pydantic-core trims in Rust).
STRIPPED = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def stripped_text(max_length: int) -> dict[str, Any]:
    """The schema of a stripped string of 1..max_length characters without NUL."""
    assert max_length >= 2
    inner = max_length - 2
    edge = f"[^{STRIPPED}\\x00]"  # the first and the last character kept
    pattern = f"^[{STRIPPED}]*{edge}(?:[^\\x00]{{0,{inner}}}{edge})?[{STRIPPED}]*$"
    return {"type": "string", "minLength": 1, "pattern": pattern}


NAME_MAX = 64
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX),
    StorableText,
    WithJsonSchema(stripped_text(NAME_MAX), mode="validation"),
]
DESCRIPTION_MAX = 1000
Description = Annotated[
    str,
    StringConstraints(max_length=DESCRIPTION_MAX),
    StorableText,
    WithJsonSchema(
        {"type": "string", "maxLength": DESCRIPTION_MAX, "pattern": "^[^\\x00]*$"},
        mode="validation",
    ),
]

CURRENCY_SCHEMA = {
    "type": "string",
    "description": "ISO 4217 code, any case",
    "enum": sorted(CURRENCY_EXPONENTS) + sorted(c.lower() for c in CURRENCY_EXPONENTS),
}
# An ISO 4217 code in any case, kept upper-case.
CurrencyCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=3),
    AfterValidator(_known_currency),
    WithJsonSchema(CURRENCY_SCHEMA, mode="validation"),
]


def _json_integer(value: Any) -> Any:
    # JSON Schema's integer is any number with no fraction (2.0 included), never
    # a boolean or a string; pydantic's lax int would take "2" and true as well.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be an integer")
    return value


# An int as JSON Schema's `integer` reads it (2.0 is 2); add Field(ge=..., le=...).
JsonInteger = Annotated[int, BeforeValidator(_json_integer)]


# Money: a JSON number, or a decimal string, with at most MONEY_DECIMALS decimals
# and under MONEY_LIMIT. A string must be a plain decimal (no sign, exponent, spaces
# or underscores): what the pattern says is what is taken.
_WHOLE = f"[1-9][0-9]{{0,{MONEY_DIGITS - MONEY_DECIMALS - 1}}}"
_FRACTION = f"(?:\\.[0-9]{{1,{MONEY_DECIMALS}}})?"
# 0.001 .. 0.999 without spelling the zero amount: 0.1, 0.10, 0.01, 0.001 ...
_SMALL = "0\\.(?:[1-9][0-9]{0,2}|0[1-9][0-9]?|00[1-9])"
POSITIVE_MONEY_PATTERN = f"^(?:{_WHOLE}{_FRACTION}|{_SMALL})$"
NON_NEGATIVE_MONEY_PATTERN = f"^(?:0|{_WHOLE}){_FRACTION}$"
assert MONEY_DECIMALS == 3, "_SMALL spells three decimals out"


def _money_schema(pattern: str, *, positive: bool) -> dict[str, Any]:
    number: dict[str, Any] = {
        "type": "number",
        "multipleOf": float(Decimal(1).scaleb(-MONEY_DECIMALS)),
        "exclusiveMaximum": int(MONEY_LIMIT),
    }
    number["exclusiveMinimum" if positive else "minimum"] = 0
    return {"anyOf": [number, {"type": "string", "pattern": pattern}]}


def _plain_decimal(pattern: str) -> Any:
    compiled = re.compile(pattern)

    def check(value: Any) -> Any:
        if isinstance(value, str) and not compiled.fullmatch(value):
            raise ValueError(
                f"must be a number, or a decimal string such as 12.30 "
                f"(at most {MONEY_DECIMALS} decimals, under {MONEY_LIMIT:.0f})"
            )
        return value

    return BeforeValidator(check)


_DIGITS = Field(lt=MONEY_LIMIT, max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS)
PositiveMoney = Annotated[
    Decimal,
    _plain_decimal(POSITIVE_MONEY_PATTERN),
    Field(gt=0),
    _DIGITS,
    MoneySerializer,
    WithJsonSchema(_money_schema(POSITIVE_MONEY_PATTERN, positive=True), mode="validation"),
]
NonNegativeMoney = Annotated[
    Decimal,
    _plain_decimal(NON_NEGATIVE_MONEY_PATTERN),
    Field(ge=0),
    _DIGITS,
    MoneySerializer,
    WithJsonSchema(_money_schema(NON_NEGATIVE_MONEY_PATTERN, positive=False), mode="validation"),
]


class Schema(BaseModel):
    """Request bodies: unknown fields (such as `user_id`) are ignored."""

    model_config = ConfigDict(extra="ignore")


class OutSchema(BaseModel):
    model_config = ConfigDict(from_attributes=True)
