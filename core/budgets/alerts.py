"""Budget alerts at 80 % and 100 % of a period's limit, once each per period."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from core.budgets.repository import BudgetRepository
from core.jobs.repository import JobsRepository
from core.models import Budget, User
from core.money import in_minor_units, shown
from core.notifications.repository import NotificationRepository
from core.notifications.service import notify, notify_many
from core.periods import PERIOD_WORDS, local_today, period_range

THRESHOLDS = (80, 100)


def alert_key(budget_id: int, period_start: date, threshold: int) -> str:
    return f"budget:{budget_id}:{period_start.isoformat()}:{threshold}"


def alert_message(category: str, limit: Decimal, period: str, spent: Decimal, currency: str) -> str:
    """The alert's text, the same whether an expense or the sweep found the crossing."""
    percent = int(spent * 100 / limit)
    return (
        f"{category}: {in_minor_units(spent, currency)} of {shown(limit, currency)} spent "
        f"{PERIOD_WORDS[period]['this']} ({percent} %)"
    )


async def alert_crossed(
    session: AsyncSession, user: User, budget: Budget, spent: Decimal, today: date
) -> None:
    period_start, _ = period_range(budget.period, today)
    for threshold in THRESHOLDS:
        if spent * 100 >= budget.limit * threshold:
            await notify(
                session,
                user.id,
                "budget",
                alert_message(budget.category, budget.limit, budget.period, spent, user.currency),
                alert_key(budget.id, period_start, threshold),
            )


async def check_category(session: AsyncSession, user: User, category: str) -> None:
    """After spending in `category`: alert each of its budgets that crossed a threshold.

    The budgets are locked first, so concurrent expenses in one category take
    turns here and the last of them sees every committed expense.
    """
    repository = BudgetRepository(session)
    budgets = await repository.for_category(user.id, category, lock=True)
    if budgets:
        await check_budgets(session, user, budgets)


async def check_budgets(session: AsyncSession, user: User, budgets: list[Budget]) -> None:
    today = local_today(user.timezone)
    spent = await BudgetRepository(session).spent([b.id for b in budgets], today)
    for budget in budgets:
        await alert_crossed(session, user, budget, spent[budget.id], today)


async def sweep(session: AsyncSession, now: datetime) -> int:
    """Alert every budget at or over a threshold of its current period that has no
    alert yet (a budget created or lowered after the spending, expenses imported in
    bulk); how many alerts were made."""
    repository = JobsRepository(session)
    bounds = [
        (tz, period, *period_range(period, local_today(tz, now)))
        for tz in await repository.timezones()
        for period in PERIOD_WORDS
    ]
    crossings = [
        (row, threshold, alert_key(row.id, row.first, threshold))
        for row in await repository.budgets_at_least(bounds, min(THRESHOLDS))
        for threshold in THRESHOLDS
        if row.spent * 100 >= row.limit * threshold
    ]
    # Skipping the alerts that exist spares the inserts; the unique key still decides.
    existing = await NotificationRepository(session).existing_keys(
        [(row.user_id, key) for row, _, key in crossings]
    )
    items: list[dict[str, object]] = [
        {
            "user_id": row.user_id,
            "kind": "budget",
            "message": alert_message(row.category, row.limit, row.period, row.spent, row.currency),
            "dedupe_key": key,
        }
        for row, _, key in crossings
        if (row.user_id, key) not in existing
    ]
    return await notify_many(session, items)
