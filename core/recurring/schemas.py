from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from core.auth.schemas import Currency
from core.money import Money
from core.schemas import Description, IsoDate, Name, OutSchema, PositiveMoney, Schema

Kind = Literal["expense", "income"]
Rule = Annotated[str, Field(min_length=1, max_length=255)]
RemindDays = Annotated[int, Field(ge=0, le=365)]


class RecurringCreate(Schema):
    kind: Kind
    category: Name | None = None  # for an expense
    source: Name | None = None  # for an income
    amount: PositiveMoney
    currency: Currency | None = None  # the user's base currency when left out
    description: Description = ""
    rrule: Rule
    start: IsoDate | None = None  # today, in the user's timezone, when left out
    end: IsoDate | None = None
    remind_days_before: RemindDays | None = None


class RecurringUpdate(Schema):
    kind: Kind | None = None
    category: Name | None = None
    source: Name | None = None
    amount: PositiveMoney | None = None
    currency: Currency | None = None
    description: Description | None = None
    rrule: Rule | None = None
    start: IsoDate | None = None
    end: IsoDate | None = None
    remind_days_before: RemindDays | None = None


class RecurringOut(OutSchema):
    id: int
    user_id: int
    kind: Kind
    category: str | None
    source: str | None
    amount: Money
    currency: str
    description: str
    rrule: str
    start: date
    end: date | None
    remind_days_before: int | None
    next_date: date | None  # the next occurrence on or after today; None when it is over
