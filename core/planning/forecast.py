"""What the recurring entries will bring and take, day by day, with running totals.

Amounts are in one currency (the user's base, or a household's): the caller converts
each recurring entry's amount before asking. Days without a due entry are left out.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import groupby
from typing import Literal

from core.exceptions import Invalid
from core.recurring.schedule import compile_rule

Kind = Literal["expense", "income"]
MAX_FORECAST_DAYS = 366


@dataclass(frozen=True)
class RecurringItem:
    """A recurring entry as the planning maths needs it."""

    id: int
    kind: Kind
    amount: Decimal
    rrule: str
    start: date
    end: date | None = None
    description: str = ""


@dataclass(frozen=True)
class Due:
    """One occurrence of a recurring entry."""

    date: date
    kind: Kind
    amount: Decimal
    recurring_id: int | None = None
    description: str = ""


@dataclass(frozen=True)
class ForecastDay:
    date: date
    entries: tuple[Due, ...]
    income: Decimal  # due that day
    expenses: Decimal
    running_income: Decimal  # from the first day through this one
    running_expenses: Decimal
    balance: Decimal  # opening + running_income - running_expenses


def due_between(
    items: Iterable[RecurringItem],
    first: date,
    last: date,
    recorded: Collection[tuple[int, date]] = (),
) -> list[Due]:
    """Occurrences in [first, last], less those already recorded as (recurring_id, date),
    by date and then entry id."""
    due = [
        Due(day, item.kind, item.amount, item.id, item.description)
        for item in items
        for day in compile_rule(item.rrule, item.start, item.end).occurrences(first, last)
        if (item.id, day) not in recorded
    ]
    due.sort(key=lambda entry: (entry.date, entry.recurring_id or 0))
    return due


def forecast(
    items: Iterable[RecurringItem],
    today: date,
    days: int,
    opening: Decimal = Decimal(0),
    recorded: Collection[tuple[int, date]] = (),
) -> list[ForecastDay]:
    """The next `days` days from `today` (included) that have something due."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_FORECAST_DAYS:
        raise Invalid(f"days must be from 1 to {MAX_FORECAST_DAYS}", field="days")
    last = today + timedelta(days=days - 1)
    running_income = running_expenses = Decimal(0)
    answer: list[ForecastDay] = []
    for day, entries in groupby(due_between(items, today, last, recorded), key=_date_of):
        that_day = tuple(entries)
        income = sum((e.amount for e in that_day if e.kind == "income"), Decimal(0))
        expenses = sum((e.amount for e in that_day if e.kind == "expense"), Decimal(0))
        running_income += income
        running_expenses += expenses
        answer.append(
            ForecastDay(
                date=day,
                entries=that_day,
                income=income,
                expenses=expenses,
                running_income=running_income,
                running_expenses=running_expenses,
                balance=opening + running_income - running_expenses,
            )
        )
    return answer


def _date_of(entry: Due) -> date:
    return entry.date
