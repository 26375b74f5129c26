"""Weekly (Monday 09:00) and monthly (the 1st, 09:00) summaries, in each user's time.

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


def _starts_period(period: str, day: date) -> bool:
    return day.weekday() == 0 if period == "weekly" else day.day == 1


def _due(
    period: str, now: datetime, timezones: list[str]
) -> list[tuple[str, str, date, date, date, date]]:
    """The timezones where this period's summary is due now (from 09:00 local on the
    Monday or the 1st, for a day), with the period it covers and the one before."""
    due = []
    for tz in timezones:
        local = now.astimezone(ZoneInfo(tz))
        opens = local.date()
        if not _starts_period(period, opens):
            opens -= timedelta(days=1)
            if not _starts_period(period, opens):
                continue
        opened_at = datetime.combine(opens, time(SUMMARY_HOUR), ZoneInfo(tz))
        if not opened_at <= local < opened_at + SUMMARY_WINDOW:
            continue
        first, last = previous_period_range(period, opens)
        prev_first, prev_last = previous_period_range(period, first)
        due.append((tz, summary_key(period, first, last), first, last, prev_first, prev_last))
    return due


def _change(current: Decimal, previous: Decimal) -> str:
    if previous == 0:
        return "nothing the period before"
    percent = int((current - previous) * 100 / previous)
    return f"{'+' if percent >= 0 else '−'}{abs(percent)} % vs the period before"


async def send_due(session: AsyncSession, now: datetime, period: str) -> int:
    """Make the `period` ("weekly" or "monthly") summaries due at `now`; how many were new."""
    noun = PERIOD_WORDS[period]["noun"]
    repository = JobsRepository(session)
    due = _due(period, now, await repository.timezones())
    if not due:
        return 0
    flag = OPT_IN_FLAGS[period]
    spending = await repository.summary_totals(flag, due, Expense)
    earning = {r.id: r for r in await repository.summary_totals(flag, due, Income)}
    user_ids = [r.id for r in spending]
    spans = [(tz, first, last) for tz, _, first, last, _, _ in due]
    top: dict[int, list[str]] = {}
    for user_id, category, total in await repository.category_totals(user_ids, spans):
        if len(top.setdefault(user_id, [])) < 3:
            top[user_id].append(f"{category} {total:.2f}")
    over: dict[int, list[str]] = {}
    budget_bounds = [(tz, period, first, last) for tz, _, first, last, _, _ in due]
    for row in await repository.budgets_at_least(budget_bounds, 100):
        over.setdefault(row.user_id, []).append(
            f"{row.category} ({row.spent:.2f} of {row.limit:.2f})"
        )
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
        items.append(
            {
                "user_id": row.id,
                "kind": "summary",
                "message": " ".join(parts),
                "dedupe_key": row.key,
            }
        )
    return await notify_many(session, items)
