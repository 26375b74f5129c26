from dataclasses import dataclass
from datetime import date

from pydantic import Field

from core.crud import DateFilters
from core.money import Money, PositiveMoney
from core.schemas import CurrencyCode, Description, IsoDate, Name, OutSchema, Schema
from core.tags.schemas import Tags


class IncomeCreate(Schema):
    source: Name
    amount: PositiveMoney
    currency: CurrencyCode | None = None  # the user's base currency when left out
    date: IsoDate | None = None  # today, in the user's timezone, when left out
    description: Description = ""
    tags: Tags | None = None


class IncomeUpdate(Schema):
    source: Name | None = None
    amount: PositiveMoney | None = None
    currency: CurrencyCode | None = None
    date: IsoDate | None = None
    description: Description | None = None
    tags: Tags | None = None


class IncomeOut(OutSchema):
    id: int
    user_id: int
    source: str
    amount: Money
    currency: str
    base_amount: Money  # in the user's base currency, at rate_date's rate
    rate_date: date
    date: date
    description: str
    tags: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class IncomeFilters(DateFilters):
    tag: str | None = None
