"""Budget periods and "today" in a person's own timezone."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.exceptions import Invalid

DateRange = tuple[date, date]

# The one table of period words: the period's name, its noun, and "this <noun>".
PERIOD_WORDS: dict[str, dict[str, str]] = {
    "daily": {"noun": "day", "this": "today", "name": "daily"},
    "weekly": {"noun": "week", "this": "this week", "name": "weekly"},
    "monthly": {"noun": "month", "this": "this month", "name": "monthly"},
    "yearly": {"noun": "year", "this": "this year", "name": "yearly"},
}


def local_today(timezone: str, now: datetime | None = None) -> date:
    moment = now or datetime.now(UTC)
    return moment.astimezone(ZoneInfo(timezone)).date()


def period_range(period: str, day: date) -> DateRange:
    """The [first, last] day of the daily/weekly/monthly/yearly period holding `day`."""
    if period == "daily":
        return day, day
    if period == "weekly":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if period == "monthly":
        start = day.replace(day=1)
        next_month = (start + timedelta(days=32)).replace(day=1)
        return start, next_month - timedelta(days=1)
    if period == "yearly":
        return day.replace(month=1, day=1), day.replace(month=12, day=31)
    raise ValueError(f"unknown period {period!r}")


def previous_period_range(period: str, day: date) -> DateRange:
    start, _ = period_range(period, day)
    return period_range(period, start - timedelta(days=1))


def check_span(date_from: date | None, date_to: date | None) -> None:
    """The one "from after to" check of every date filter and report."""
    if date_from is not None and date_to is not None and date_from > date_to:
        raise Invalid("`from` must not be after `to`", field="from")
