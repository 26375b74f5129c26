"""Budget alerts at 80 % and 100 % of a period's limit, once each per period, and the
pace alert (SPEC 7) once per period."""

from datetime import date, datetime
from decimal import Decimal
from functools import cache, partial
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from core.budgets.repository import BudgetRepository
from core.budgets.shared import Figures, household_figures
from core.households.repository import HouseholdRepository
from core.jobs.repository import JobsRepository
from core.models import Budget, User
from core.money import in_minor_units, shown
from core.notifications.repository import NotificationRepository
from core.notifications.service import notify, notify_many
from core.periods import PERIOD_WORDS, DateRange, local_today
from core.planning.pace import pace_run_out_day
from core.planning.periods import period_containing

THRESHOLDS = (80, 100)


def alert_key(budget_id: int, period_start: date, threshold: int) -> str:
    return f"budget:{budget_id}:{period_start.isoformat()}:{threshold}"


def alert_message(category: str, limit: Decimal, period: str, spent: Decimal, currency: str) -> str:
    """The alert's text, the same whether an expense or the sweep found the crossing."""
    spent_text = f"{category}: {in_minor_units(spent, currency)} of {shown(limit, currency)} spent"
    if limit <= 0:  # a rollover carried a whole limit's overspending: no percentage
        return f"{spent_text} {PERIOD_WORDS[period]['this']}"
    percent = int(spent * 100 / limit)
    return f"{spent_text} {PERIOD_WORDS[period]['this']} ({percent} %)"


class BudgetFacts(Protocol):
    """What the alert rules read of a budget: a Budget, or a query's row with these columns."""

    @property
    def id(self) -> int: ...
    @property
    def category(self) -> str: ...
    @property
    def limit(self) -> Decimal: ...
    @property
    def period(self) -> str: ...


def due_alerts(
    budget: BudgetFacts,
    currency: str,
    spent: Decimal,
    carried: Decimal,
    today: date,
    period: DateRange,
) -> list[tuple[str, str]]:
    """(message, dedupe key) of every alert this spending calls for on `today` of `period`:
    each threshold reached and the pace alert, against the limit plus a rollover's
    `carried`; the keys make each one once per period. Every path (an expense, the
    recurring job, the sweep, household budgets) decides here."""
    limit = budget.limit + carried
    alerts = [
        (
            alert_message(budget.category, limit, budget.period, spent, currency),
            alert_key(budget.id, period[0], threshold),
        )
        for threshold in THRESHOLDS
        if spent * 100 >= limit * threshold
    ]
    run_out = pace_run_out_day(today, period, limit, spent)
    if run_out is not None:
        alerts.append((pace_message(budget.category, run_out), pace_key(budget.id, period[0])))
    return alerts


async def _notify_new(session: AsyncSession, wanted: list[tuple[int, str, str]]) -> int:
    """The jobs' path: notify each (user id, message, key) not made yet; how many were new.
    Skipping the alerts that exist spares the inserts; the unique key still decides."""
    existing = await NotificationRepository(session).existing_keys(
        [(user_id, key) for user_id, _, key in wanted]
    )
    items: list[dict[str, object]] = [
        {"user_id": user_id, "kind": "budget", "message": message, "dedupe_key": key}
        for user_id, message, key in wanted
        if (user_id, key) not in existing
    ]
    return await notify_many(session, items)


async def check_category(
    session: AsyncSession, user: User, category: str, household_id: int | None = None
) -> None:
    """After spending in `category`: alert each of its budgets that crossed a threshold
    (the user's own, and those of the household the expense is shared with).

    The budgets are locked first, so concurrent expenses in one category take
    turns here and the last of them sees every committed expense.
    """
    repository = BudgetRepository(session)
    budgets = await repository.for_category(user.id, category, lock=True, household_id=household_id)
    if budgets:
        await check_budgets(session, user, budgets)


async def check_budgets(
    session: AsyncSession, user: User, budgets: list[Budget], today: date | None = None
) -> None:
    """`today` (the user's by default) applies to their own budgets; a household
    budget's period follows its creator's timezone and pay day."""
    shared = [b for b in budgets if b.household_id is not None]
    budgets = [b for b in budgets if b.household_id is None]
    today = today or local_today(user.timezone)
    repository = BudgetRepository(session)
    ids = [b.id for b in budgets]
    spent = await repository.spent(ids, today, user.pay_day)
    carried = await repository.carried(ids, today, user.pay_day)
    for budget in budgets:
        period = period_containing(today, user.pay_day, budget.period)
        extra = carried.get(budget.id, Decimal(0))
        for message, key in due_alerts(
            budget, user.currency, spent[budget.id], extra, today, period
        ):
            await notify(session, user.id, "budget", message, key)
    for budget in shared:
        await check_household_budget(session, budget)


def household_message(name: str, message: str) -> str:
    return f"{name} · {message}"


async def check_household_budget(session: AsyncSession, budget: Budget) -> None:
    """A household budget's alerts: one notification per member (the usual dedupe key,
    per member, so each gets it once) and one post for the household's group."""
    figures = (await household_figures(session, [budget.id])).get(budget.id)
    alerts = shared_alerts(figures) if figures is not None else []
    if figures is None or not alerts:
        return
    households = HouseholdRepository(session)
    household_id = figures.budget.household_id
    for member_id in await households.member_ids(household_id):
        for message, key in alerts:
            await notify(session, member_id, "budget", message, key)
    for message, key in alerts:
        await households.add_chat_post_once(household_id, "budget", message, key)


def shared_alerts(figures: Figures) -> list[tuple[str, str]]:
    """A household budget's due alerts, their texts naming the household."""
    row = figures.budget
    alerts = due_alerts(
        row, row.currency, figures.spent, figures.carried, figures.today, figures.period
    )
    return [(household_message(row.household_name, text), key) for text, key in alerts]


def pace_message(category: str, run_out: date) -> str:
    return f"{category}: at this pace the budget runs out around {run_out.day} {run_out:%b}"


def pace_key(budget_id: int, period_start: date) -> str:
    return f"pace:{budget_id}:{period_start.isoformat()}"


async def sweep(session: AsyncSession, now: datetime) -> int:
    """Alert every budget at or over a threshold of its current period that has no
    alert yet (a budget created or lowered after the spending, expenses imported in
    bulk), and every pace alert due (the third day comes without new spending); how
    many alerts were made. Monthly periods run from each user's pay day; rollover
    budgets count their carry."""
    repository = JobsRepository(session)
    zones = await repository.timezones_and_pay_days()
    bounds = []
    pay_days = []
    for tz, pay_day in zones:
        today = local_today(tz, now)
        for period in PERIOD_WORDS:
            bounds.append((tz, period, *period_containing(today, pay_day, period)))
            pay_days.append(pay_day)
    # Every budget with spending: pace can be due well below the first threshold.
    rows = await repository.budgets_at_least(bounds, 0, pay_days)
    carried = await _carried(session, [r for r in rows if r.rollover], now)
    alerts = [
        (row.user_id, message, key)
        for row in rows
        for message, key in due_alerts(
            row,
            row.currency,
            row.spent,
            carried.get(row.id, Decimal(0)),
            local_today(row.tz, now),
            (row.first, row.last),
        )
    ]
    return await _notify_new(session, alerts) + await _sweep_households(session, now)


async def _sweep_households(session: AsyncSession, now: datetime) -> int:
    """The sweep of household budgets: each member's notification and the group's post."""
    alerts = [
        (figures.budget.household_id, message, key)
        for figures in (await household_figures(session, None, now)).values()
        for message, key in shared_alerts(figures)
    ]
    if not alerts:
        return 0
    households = HouseholdRepository(session)
    members = await households.member_ids_of(sorted({alert[0] for alert in alerts}))
    wanted = [
        (member_id, message, key)
        for household_id, message, key in alerts
        for member_id in members[household_id]
    ]
    await households.add_chat_posts_once(
        [
            {"household_id": household_id, "kind": "budget", "message": message, "dedupe_key": key}
            for household_id, message, key in alerts
        ]
    )
    return await _notify_new(session, wanted)


async def _carried(session: AsyncSession, rows: list[Any], now: datetime) -> dict[int, Decimal]:
    """The rollover carries of these budgets, one query per timezone and pay day."""
    groups: dict[tuple[str, int], list[int]] = {}
    for row in rows:
        groups.setdefault((row.tz, row.pay_day), []).append(row.id)
    carried: dict[int, Decimal] = {}
    repository = BudgetRepository(session)
    for (tz, pay_day), ids in groups.items():
        carried.update(await repository.carried(ids, local_today(tz, now), pay_day))
    return carried


async def check_budgets_on_days(
    session: AsyncSession, spent_on: set[tuple[int, date]], now: datetime
) -> int:
    """After many entries written at once (the recurring job, whose clock may be moved
    and which catches up missed days): check each budget in the period of each day it
    was spent on, as of `now`'s local day or, for a period already over, its last day;
    set-based, the budgets locked first as in check_category. How many alerts were made."""
    if not spent_on:
        return 0
    repository = BudgetRepository(session)
    budgets = {row.id: row for row in await repository.lock_with_owner({b for b, _ in spent_on})}
    # Tens of thousands of rows share a few days, pay days and timezones: computed once.
    periods = cache(period_containing)
    today_in = cache(partial(local_today, now=now))
    as_of: dict[tuple[int, date], date] = {}
    for budget_id, day in spent_on:
        row = budgets.get(budget_id)
        if row is not None:  # else deleted meanwhile
            first, last = periods(day, row.pay_day, row.period)
            as_of[(budget_id, first)] = min(last, today_in(row.timezone))
    groups: dict[tuple[date, int], list[int]] = {}
    for (budget_id, _), today in as_of.items():
        groups.setdefault((today, budgets[budget_id].pay_day), []).append(budget_id)
    alerts: list[tuple[int, str, str]] = []
    for (today, pay_day), ids in groups.items():
        spent = await repository.spent(ids, today, pay_day)
        rolling = [budget_id for budget_id in ids if budgets[budget_id].rollover]
        carried = await repository.carried(rolling, today, pay_day)
        for budget_id in ids:
            row = budgets[budget_id]
            period = periods(today, pay_day, row.period)
            extra = carried.get(budget_id, Decimal(0))
            alerts.extend(
                (row.user_id, message, key)
                for message, key in due_alerts(
                    row, row.currency, spent[budget_id], extra, today, period
                )
            )
    return await _notify_new(session, alerts)
