from typing import Literal

from pydantic import StrictBool

from core.households.schemas import HouseholdRef
from core.money import Money
from core.schemas import Name, OutSchema, PositiveMoney, Schema

Period = Literal["daily", "weekly", "monthly", "yearly"]


class BudgetCreate(Schema):
    category: Name
    limit: PositiveMoney
    period: Period
    # Strict: 0 or "no" is not a yes/no answer (the schema says boolean).
    rollover: StrictBool = False  # carry what was left (or overspent) into the next period
    # A household budget: counts the shared spending of all its members.
    household_id: HouseholdRef | None = None


class BudgetUpdate(Schema):
    category: Name | None = None
    limit: PositiveMoney | None = None
    period: Period | None = None
    rollover: StrictBool | None = None
    household_id: HouseholdRef | None = None  # null makes it the caller's own again


class BudgetOut(OutSchema):
    id: int
    user_id: int
    category: str
    limit: Money
    period: Period
    rollover: bool
    spent: Money
    remaining: Money  # negative once the limit is overrun
    # The user's base currency (a household budget: the household's): limit, spent and
    # remaining are in it.
    currency: str
    household_id: int | None = None
