from datetime import date
from typing import Literal

from pydantic import BaseModel

from core.money import Money


class SafeToSpendOut(BaseModel):
    period_start: date
    period_end: date
    currency: str
    income: Money
    expected_income: Money
    spent: Money
    committed: Money
    left: Money
    days_left: int
    per_day: Money


class ForecastEntry(BaseModel):
    recurring_id: int | None
    kind: Literal["expense", "income"]
    amount: Money
    description: str


class ForecastDayOut(BaseModel):
    date: date
    entries: list[ForecastEntry]
    income: Money
    expenses: Money
    running_income: Money
    running_expenses: Money
    balance: Money


class ForecastOut(BaseModel):
    currency: str
    days: list[ForecastDayOut]
