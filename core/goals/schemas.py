from datetime import date
from decimal import Decimal

from core.money import Money
from core.schemas import Description, IsoDate, NonNegativeMoney, OutSchema, PositiveMoney, Schema


class GoalCreate(Schema):
    target_amount: PositiveMoney
    saved_amount: NonNegativeMoney = Decimal(0)
    description: Description = ""
    deadline: IsoDate


class GoalUpdate(Schema):
    target_amount: PositiveMoney | None = None
    saved_amount: NonNegativeMoney | None = None
    description: Description | None = None
    deadline: IsoDate | None = None


class GoalOut(OutSchema):
    id: int
    user_id: int
    target_amount: Money
    saved_amount: Money
    description: str
    deadline: date
    currency: str | None = None  # the user's base currency, which the amounts are in
