from datetime import date

from core.money import Money, PositiveMoney
from core.schemas import Description, IsoDate, Name, OutSchema, Schema


class IncomeCreate(Schema):
    source: Name
    amount: PositiveMoney
    date: IsoDate | None = None  # today, in the user's timezone, when left out
    description: Description = ""


class IncomeUpdate(Schema):
    source: Name | None = None
    amount: PositiveMoney | None = None
    date: IsoDate | None = None
    description: Description | None = None


class IncomeOut(OutSchema):
    id: int
    user_id: int
    source: str
    amount: Money
    date: date
    description: str
