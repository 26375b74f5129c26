from dataclasses import dataclass
from datetime import date

from pydantic import Field, TypeAdapter
from typing_extensions import TypedDict

from core.crud import DateFilters
from core.households.balance_schemas import ShareValue, Split
from core.households.schemas import HouseholdRef
from core.money import Money
from core.schemas import CurrencyCode, Description, IsoDate, Name, OutSchema, PositiveMoney, Schema
from core.tags.schemas import Tags


class ExpenseCreate(Schema):
    category: Name
    amount: PositiveMoney
    currency: CurrencyCode | None = None  # the user's base currency when left out
    date: IsoDate | None = None  # today, in the user's timezone, when left out
    description: Description = ""
    tags: Tags | None = None
    split: Split | None = None  # a shared expense's uneven split; equal when left out
    household_id: HouseholdRef | None = None  # shared with that household of the caller's


class ExpenseUpdate(Schema):
    category: Name | None = None
    amount: PositiveMoney | None = None
    currency: CurrencyCode | None = None
    date: IsoDate | None = None
    description: Description | None = None
    tags: Tags | None = None
    split: Split | None = None  # {}: back to an equal split
    household_id: HouseholdRef | None = None  # null takes the expense out of its household


class ExpenseOut(OutSchema):
    id: int
    user_id: int
    category: str
    amount: Money
    currency: str
    base_amount: Money  # in the user's base currency, at rate_date's rate
    rate_date: date
    date: date
    description: str
    document_ids: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    split: dict[int, ShareValue] | None = None  # None: split equally, or not shared
    household_id: int | None = None


class ExpenseJson(TypedDict):
    """ExpenseOut as a plain dict: a list page is serialised without a model per row."""

    id: int
    user_id: int
    category: str
    amount: Money
    currency: str
    base_amount: Money  # in the user's base currency, at rate_date's rate
    rate_date: date
    date: date
    description: str
    document_ids: list[str]
    tags: list[str]
    split: dict[int, ShareValue] | None
    household_id: int | None


EXPENSE_LIST_JSON = TypeAdapter(list[ExpenseJson])


@dataclass(frozen=True)
class ExpenseFilters(DateFilters):
    category: str | None = None
    tag: str | None = None
