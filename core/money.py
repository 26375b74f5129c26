"""Money in pydantic schemas: Decimal in, Decimal inside, a JSON number out."""

from decimal import Decimal
from typing import Annotated

from pydantic import Field, PlainSerializer


def _as_json_number(value: Decimal) -> float:
    # SPEC wants money as a JSON number. A value of at most 14 significant digits
    # (12 before the point, 2 after) survives the trip through a double exactly
    # and is printed back as the same shortest decimal, so nothing is lost here;
    # arithmetic never sees this float.
    return float(value)


MoneySerializer = PlainSerializer(_as_json_number, return_type=float, when_used="json")

Money = Annotated[Decimal, MoneySerializer]
PositiveMoney = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2), MoneySerializer]
NonNegativeMoney = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2), MoneySerializer]
