"""Money in pydantic schemas: Decimal in, Decimal inside, a JSON number out."""

from decimal import Decimal
from typing import Annotated

from pydantic import PlainSerializer

from core.currencies.codes import CURRENCY_EXPONENTS
from core.exceptions import Invalid

# Every currency's minor units fit 3 decimals (KWD); the database holds 15 digits.
MONEY_DIGITS = 15
MONEY_DECIMALS = 3
# What a stored amount stays under: an amount made by conversion is checked against it.
MONEY_LIMIT = Decimal(10) ** (MONEY_DIGITS - MONEY_DECIMALS)


def _as_json_number(value: Decimal) -> float:
    # SPEC wants money as a JSON number. A value of at most 15 significant digits
    # (12 before the point, 3 after) survives the trip through a double exactly
    # and is printed back as the same shortest decimal, so nothing is lost here;
    # arithmetic never sees this float.
    return float(value)


MoneySerializer = PlainSerializer(_as_json_number, return_type=float, when_used="json")

Money = Annotated[Decimal, MoneySerializer]


def check_minor_units(amount: Decimal, currency: str, field: str = "amount") -> None:
    """`amount` has no more decimals than `currency` has (JPY 0, EUR 2, KWD 3)."""
    exponent = CURRENCY_EXPONENTS[currency]
    if amount != amount.quantize(Decimal(1).scaleb(-exponent)):
        raise Invalid(f"{currency} amounts have at most {exponent} decimals", field=field)


def in_minor_units(amount: Decimal, currency: str) -> str:
    """The number with its currency's own decimals: 1500 for JPY, 12.30 for EUR."""
    return f"{amount:.{CURRENCY_EXPONENTS.get(currency, 2)}f}"


def shown(amount: Decimal, currency: str) -> str:
    """An amount for messages: 1500 JPY, 12.30 EUR."""
    return f"{in_minor_units(amount, currency)} {currency}"
