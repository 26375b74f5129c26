from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from core.money import Money


class CategoryTotal(BaseModel):
    category: str
    total: Money


class TagTotal(BaseModel):
    tag: str
    total: Money


class Summary(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    date_from: date = Field(serialization_alias="from")
    date_to: date = Field(serialization_alias="to")
    currency: str  # the user's base currency: every total is in it
    total_income: Money
    total_expenses: Money
    net: Money
    by_category: list[CategoryTotal]
    by_tag: list[TagTotal] = []


class MemberTotal(BaseModel):
    user_id: int
    username: str
    total: Money


class HouseholdSummary(Summary):
    """A household's summary over its shared entries, in the household's currency."""

    household_id: int
    by_member: list[MemberTotal]  # each member's shared spending, largest first
