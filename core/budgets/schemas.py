from typing import Literal

from pydantic import StrictBool

from core.money import Money, PositiveMoney
from core.schemas import Name, OutSchema, Schema

Period = Literal["daily", "weekly", "monthly", "yearly"]


class BudgetCreate(Schema):
    category: Name
    limit: PositiveMoney
    period: Period
    # Strict: 0 or "no" is not a yes/no answer (the schema says boolean).
    rollover: StrictBool = False  # carry what was left (or overspent) into the next period


class BudgetUpdate(Schema):
    category: Name | None = None
    limit: PositiveMoney | None = None
    period: Period | None = None
    rollover: StrictBool | None = None


class BudgetOut(OutSchema):
    id: int
    user_id: int
    category: str
    limit: Money
    period: Period
    rollover: bool
    spent: Money
    remaining: Money  # negative once the limit is overrun
    currency: str  # the user's base currency: limit, spent and remaining are in it
