"""Budget periods, monthly ones running from pay day to pay day.

A pay day of 29, 30 or 31 falls on the month's last day in months that are shorter
(pay day 31: 28/29 Feb, 30 Apr; pay day 30: 28/29 Feb). A period runs from one pay day
to the day before the next, both included; pay day 1 gives calendar months.
Daily, weekly (Monday to Sunday) and yearly periods are the calendar's, from
core/periods, so budgets ask one function whatever their period.
"""

import calendar
from datetime import date, timedelta

from core.exceptions import Invalid
from core.periods import DateRange, period_range

PERIODS = ("daily", "weekly", "monthly", "yearly")


def pay_day_in(year: int, month: int, pay_day: int) -> date:
    """The pay day of that month: `pay_day`, or the month's last day when it is shorter."""
    return date(year, month, min(pay_day, calendar.monthrange(year, month)[1]))


def period_containing(today: date, pay_day: int = 1, period: str = "monthly") -> DateRange:
    """The [start, end] (both included) of the period holding `today`."""
    _check(pay_day, period)
    if period != "monthly":
        return period_range(period, today)
    start = pay_day_in(today.year, today.month, pay_day)
    if today < start:
        start = _pay_day_months_away(start, pay_day, -1)
    return start, _pay_day_months_away(start, pay_day, 1) - timedelta(days=1)


def previous_period(today: date, pay_day: int = 1, period: str = "monthly") -> DateRange:
    """The period just before the one holding `today` (what a rollover looks back on)."""
    start, _ = period_containing(today, pay_day, period)
    return period_containing(start - timedelta(days=1), pay_day, period)


def days_left(today: date, period: DateRange) -> int:
    """Days from `today` to the period's end, today included."""
    return (period[1] - today).days + 1


def day_of_period(today: date, period: DateRange) -> int:
    """1 on the period's first day."""
    return (today - period[0]).days + 1


def _pay_day_months_away(pay_date: date, pay_day: int, months: int) -> date:
    index = pay_date.year * 12 + pay_date.month - 1 + months
    return pay_day_in(index // 12, index % 12 + 1, pay_day)


def _check(pay_day: int, period: str) -> None:
    if isinstance(pay_day, bool) or not isinstance(pay_day, int) or not 1 <= pay_day <= 31:
        raise Invalid("pay_day must be a whole number from 1 to 31", field="pay_day")
    if period not in PERIODS:
        raise Invalid(f"period must be one of {', '.join(PERIODS)}", field="period")
