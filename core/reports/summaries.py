"""Weekly (Monday 09:00) and monthly (pay day, 09:00) summaries, in each user's time.

Each summary carries a unique key naming its period, so a second run, a second
replica or a restart half-way never sends one twice."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core.jobs.repository import JobsRepository
from core.models import Expense, Income
from core.money import shown
from core.notifications.service import notify_many
from core.periods import PERIOD_WORDS, previous_period_range
from core.planning.periods import period_containing, previous_period
from core.planning.service import safe_to_spend_for

SUMMARY_HOUR = 9  # local time
SUMMARY_WINDOW = timedelta(hours=24)  # a missed 09:00 is made up within the day
OPT_IN_FLAGS = {"weekly": "weekly_summary", "monthly": "monthly_summary"}


def summary_key(period: str, first: date, last: date) -> str:
    return f"summary:{period}:{first.isoformat()}:{last.isoformat()}"


def parse_summary_key(key: str) -> tuple[str, date, date] | None:
    """(period, first, last) of a summary's key; None for any other key."""
    parts = key.split(":")
    if len(parts) != 4 or parts[0] != "summary":
        return None
    return parts[1], date.fromisoformat(parts[2]), date.fromisoformat(parts[3])


def _starts_period(period: str, day: date, pay_day: int) -> bool:
    if period == "weekly":
        return day.weekday() == 0
    return period_containing(day, pay_day)[0] == day


def _due(
    period: str, now: datetime, zones: list[tuple[str, int]]
) -> list[tuple[str, str, date, date, date, date, int]]:
    """The (timezone, pay day) pairs where this period's summary is due now (from 09:00
    local on the Monday or the pay day, for a day), with the period it covers and the
    one before. Monthly periods run from pay day to pay day."""
    due = []
    for tz, pay_day in zones:
        local = now.astimezone(ZoneInfo(tz))
        opens = local.date()
        if not _starts_period(period, opens, pay_day):
            opens -= timedelta(days=1)
            if not _starts_period(period, opens, pay_day):
                continue
        opened_at = datetime.combine(opens, time(SUMMARY_HOUR), ZoneInfo(tz))
        if not opened_at <= local < opened_at + SUMMARY_WINDOW:
            continue
        first, last = _previous(period, opens, pay_day)
        prev_first, prev_last = _previous(period, first, pay_day)
        key = summary_key(period, first, last)
        due.append((tz, key, first, last, prev_first, prev_last, pay_day))
    return due


def _previous(period: str, day: date, pay_day: int) -> tuple[date, date]:
    if period == "weekly":
        return previous_period_range(period, day)
    return previous_period(day, pay_day)


def _change(current: Decimal, previous: Decimal) -> str:
    if previous == 0:
        return "nothing the period before"
    percent = int((current - previous) * 100 / previous)
    return f"{'+' if percent >= 0 else '−'}{abs(percent)} % vs the period before"


async def send_due(session: AsyncSession, now: datetime, period: str) -> int:
    """Make the `period` ("weekly" or "monthly") summaries due at `now`; how many were new."""
    noun = PERIOD_WORDS[period]["noun"]
    repository = JobsRepository(session)
    if period == "weekly":  # a week is the same whatever the pay day
        zones = [(tz, 1) for tz in await repository.timezones()]
    else:
        zones = await repository.timezones_and_pay_days()
    found = _due(period, now, zones)
    if not found:
        return 0
    # Monthly rows are for one timezone and pay day; weekly rows for a whole timezone.
    pay_days = [row[6] for row in found] if period == "monthly" else None
    due = [row[:6] for row in found]
    flag = OPT_IN_FLAGS[period]
    spending = await repository.summary_totals(flag, due, Expense, pay_days)
    earning = {r.id: r for r in await repository.summary_totals(flag, due, Income, pay_days)}
    user_ids = [r.id for r in spending]
    spans = [(tz, first, last) for tz, _, first, last, _, _ in due]
    top: dict[int, list[str]] = {}
    for user_id, category, total in await repository.category_totals(user_ids, spans, pay_days):
        if len(top.setdefault(user_id, [])) < 3:
            top[user_id].append(f"{category} {total:.2f}")
    over: dict[int, list[str]] = {}
    budget_bounds = [(tz, period, first, last) for tz, _, first, last, _, _ in due]
    for row in await repository.budgets_at_least(budget_bounds, 100, pay_days):
        over.setdefault(row.user_id, []).append(
            f"{row.category} ({row.spent:.2f} of {row.limit:.2f})"
        )
    # The weekly summary says what is safe to spend a day for the rest of the pay period.
    safe = {}
    if period == "weekly":
        safe = await safe_to_spend_for(session, [row.id for row in spending], now)
    items: list[dict[str, object]] = []
    for row in spending:
        income = earning[row.id].total if row.id in earning else Decimal(0)
        if not (row.total or row.previous or income):
            continue  # nothing happened: no summary to send
        parts = [
            f"Your {noun} ({row.first.isoformat()} – {row.last.isoformat()}): "
            f"spent {shown(row.total, row.currency)} ({_change(row.total, row.previous)}), "
            f"income {shown(income, row.currency)}, "
            f"net {shown(income - row.total, row.currency)}."
        ]
        if top.get(row.id):
            parts.append("Top: " + ", ".join(top[row.id]) + ".")
        if over.get(row.id):
            parts.append("Over budget: " + ", ".join(over[row.id]) + ".")
        if row.id in safe:
            figure = safe[row.id]
            parts.append(
                f"Safe to spend: {figure.per_day:.2f} {figure.currency} a day for the "
                f"{figure.days_left} days to {figure.period_end.day} {figure.period_end:%b}."
            )
        items.append(
            {
                "user_id": row.id,
                "kind": "summary",
                "message": " ".join(parts),
                "dedupe_key": row.key,
            }
        )
    return await notify_many(session, items)
