import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from core.money import Money


class RateOut(BaseModel):
    """GET /api/rates/: units of `to` for one unit of `from` on `date` (from `rate_date`)."""

    model_config = ConfigDict(populate_by_name=True)

    from_currency: str = Field(serialization_alias="from")
    to_currency: str = Field(serialization_alias="to")
    date: dt.date
    rate: Money
    rate_date: dt.date


class Conversion(BaseModel):
    amount: Decimal
    currency: str
    rate_date: dt.date
