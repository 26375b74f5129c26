from dataclasses import dataclass
from datetime import date

from pydantic import Field

from core.crud import DateFilters
from core.households.schemas import HouseholdRef
from core.money import Money
from core.schemas import CurrencyCode, Description, IsoDate, Name, OutSchema, PositiveMoney, Schema
from core.tags.schemas import Tags


class IncomeCreate(Schema):
    source: Name
    amount: PositiveMoney
    currency: CurrencyCode | None = None  # the user's base currency when left out
    date: IsoDate | None = None  # today, in the user's timezone, when left out
    description: Description = ""
    tags: Tags | None = None
    household_id: HouseholdRef | None = None  # shared with that household of the caller's


class IncomeUpdate(Schema):
    source: Name | None = None
    amount: PositiveMoney | None = None
    currency: CurrencyCode | None = None
    date: IsoDate | None = None
    description: Description | None = None
    tags: Tags | None = None
    household_id: HouseholdRef | None = None  # null takes the income out of its household


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
    household_id: int | None = None


@dataclass(frozen=True)
class IncomeFilters(DateFilters):
    tag: str | None = None
