"""The periodic jobs. Each takes `now` (tests move the clock), each is idempotent:
what it makes carries a unique key, so a second run, a second replica or a
restart half-way never sends anything twice."""

import logging
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from core.budgets.alerts import PERIOD_WORDS, THRESHOLDS, alert_key
from core.db import Database
from core.jobs.repository import JobsRepository
from core.models import Expense, Income
from core.notifications.service import notify_many
from core.payments.gateway import PaymentGateway
from core.payments.service import reconcile
from core.periods import period_range, previous_period_range

log = logging.getLogger("finbot.jobs")

SUMMARY_HOUR = 9  # local time
SUMMARY_WINDOW = timedelta(hours=24)  # a missed 09:00 is made up within the day
SUMMARY_PERIODS = {"weekly": "weekly_summary", "monthly": "monthly_summary"}


def _local(now: datetime, timezone: str) -> datetime:
    return now.astimezone(ZoneInfo(timezone))


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


async def budget_sweep(database: Database, now: datetime) -> int:
    """Alerts every budget at or over 80 % / 100 % of its current period that has none yet
    (a budget created or lowered after the spending, expenses imported in bulk)."""
    async with database.session() as session:
        repository = JobsRepository(session)
        bounds = [
            (tz, period, *period_range(period, _local(now, tz).date()))
            for tz in await repository.timezones()
            for period in PERIOD_WORDS
        ]
        items = []
        for row in await repository.budgets_at_least(bounds, min(THRESHOLDS), THRESHOLDS):
            percent = int(row.spent * 100 / row.limit)
            message = (
                f"{row.category}: {_money(row.spent)} of {_money(row.limit)} {row.currency} "
                f"spent {PERIOD_WORDS[row.period]} ({percent} %)"
            )
            for threshold in THRESHOLDS:
                crossed = row.spent * 100 >= row.limit * threshold
                if crossed and not getattr(row, f"has_{threshold}"):
                    items.append(
                        {
                            "user_id": row.user_id,
                            "kind": "budget",
                            "message": message,
                            "dedupe_key": alert_key(row.id, row.first, threshold),
                        }
                    )
        return await notify_many(session, items)


async def goal_check(database: Database, now: datetime) -> int:
    """One reminder a week before an unreached goal's deadline; one note once it passed."""
    async with database.session() as session:
        repository = JobsRepository(session)
        todays = []
        for tz in await repository.timezones():
            today = _local(now, tz).date()
            todays.append((tz, today, today + timedelta(days=7)))
        items = []
        for row in await repository.goals_due(todays):
            name = row.description or "your goal"
            left = row.target_amount - row.saved_amount
            if row.deadline < row.today:
                kind, key = "goal", f"goal:{row.id}:missed"
                message = (
                    f"Goal {name} passed its deadline ({row.deadline.isoformat()}) "
                    f"{_money(left)} {row.currency} short."
                )
            else:
                days = (row.deadline - row.today).days
                kind, key = "goal", f"goal:{row.id}:week-left"
                message = (
                    f"Goal {name}: {days} day{'s' if days != 1 else ''} left, "
                    f"{_money(left)} {row.currency} to go."
                )
            items.append(
                {"user_id": row.user_id, "kind": kind, "message": message, "dedupe_key": key}
            )
        return await notify_many(session, items)


def summary_key(period: str, first: date, last: date) -> str:
    return f"summary:{period}:{first.isoformat()}:{last.isoformat()}"


def parse_summary_key(key: str) -> tuple[str, date, date] | None:
    parts = key.split(":")
    if len(parts) != 4 or parts[0] != "summary":
        return None
    return parts[1], date.fromisoformat(parts[2]), date.fromisoformat(parts[3])


def _due_summaries(
    period: str, now: datetime, timezones: list[str]
) -> list[tuple[str, str, date, date, date, date]]:
    """The timezones where this period's summary is due now (from 09:00 local on the
    Monday or the 1st, for a day), with the period it covers and the one before."""
    due = []
    for tz in timezones:
        local = _local(now, tz)
        opens = local.date()
        starts_period = opens.weekday() == 0 if period == "weekly" else opens.day == 1
        if not starts_period:
            opens -= timedelta(days=1)
            starts_period = opens.weekday() == 0 if period == "weekly" else opens.day == 1
        if not starts_period:
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


async def summaries(database: Database, now: datetime, period: str) -> int:
    """Weekly (Monday 09:00) or monthly (the 1st, 09:00) summaries, in each user's time."""
    words = {"weekly": "week", "monthly": "month"}[period]
    async with database.session() as session:
        repository = JobsRepository(session)
        due = _due_summaries(period, now, await repository.timezones())
        if not due:
            return 0
        flag = SUMMARY_PERIODS[period]
        spending = await repository.summary_totals(flag, due, Expense)
        earning = {r.id: r for r in await repository.summary_totals(flag, due, Income)}
        user_ids = [r.id for r in spending]
        spans = [(tz, first, last) for tz, _, first, last, _, _ in due]
        top: dict[int, list[str]] = {}
        for user_id, category, total in await repository.category_totals(user_ids, spans):
            if len(top.setdefault(user_id, [])) < 3:
                top[user_id].append(f"{category} {_money(total)}")
        over: dict[int, list[str]] = {}
        budget_bounds = [(tz, period, first, last) for tz, _, first, last, _, _ in due]
        for row in await repository.budgets_at_least(budget_bounds, 100):
            over.setdefault(row.user_id, []).append(
                f"{row.category} ({_money(row.spent)} of {_money(row.limit)})"
            )
        items = []
        for row in spending:
            income = earning[row.id].total if row.id in earning else Decimal(0)
            if not (row.total or row.previous or income):
                continue  # nothing happened: no summary to send
            parts = [
                f"Your {words} ({row.first.isoformat()} – {row.last.isoformat()}): "
                f"spent {_money(row.total)} {row.currency} ({_change(row.total, row.previous)}), "
                f"income {_money(income)} {row.currency}, "
                f"net {_money(income - row.total)} {row.currency}."
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


async def reconcile_payments(
    database: Database, gateway: PaymentGateway | None, now: datetime
) -> int:
    if gateway is None:
        return 0
    return await reconcile(database, gateway, now)
