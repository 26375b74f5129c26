"""Budget alerts at 80 % and 100 % of a period's limit, once each per period, and the
pace alert (SPEC 7) once per period."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from core.budgets.repository import BudgetRepository
from core.jobs.repository import JobsRepository
from core.models import Budget, User
from core.notifications.repository import NotificationRepository
from core.notifications.service import notify, notify_many
from core.periods import PERIOD_WORDS, local_today, period_range
from core.planning.pace import pace_run_out_day
from core.planning.periods import period_containing

THRESHOLDS = (80, 100)


def alert_key(budget_id: int, period_start: date, threshold: int) -> str:
    return f"budget:{budget_id}:{period_start.isoformat()}:{threshold}"


def alert_message(category: str, limit: Decimal, period: str, spent: Decimal, currency: str) -> str:
    """The alert's text, the same whether an expense or the sweep found the crossing."""
    percent = int(spent * 100 / limit)
    return (
        f"{category}: {spent:.2f} of {limit:.2f} {currency} spent "
        f"{PERIOD_WORDS[period]['this']} ({percent} %)"
    )


async def alert_crossed(
    session: AsyncSession,
    user: User,
    budget: Budget,
    spent: Decimal,
    today: date,
    limit: Decimal | None = None,
) -> None:
    """`limit`: this period's limit with a rollover's carry (default the budget's)."""
    limit = budget.limit if limit is None else limit
    period = period_containing(today, user.pay_day, budget.period)
    for threshold in THRESHOLDS:
        if spent * 100 >= limit * threshold:
            await notify(
                session,
                user.id,
                "budget",
                alert_message(budget.category, limit, budget.period, spent, user.currency),
                alert_key(budget.id, period[0], threshold),
            )
    run_out = pace_run_out_day(today, period, limit, spent) if limit > 0 else None
    if run_out is not None:
        await notify(
            session,
            user.id,
            "budget",
            f"{budget.category}: at this pace the budget runs out around {run_out.day} "
            f"{run_out:%b}",
            f"pace:{budget.id}:{period[0].isoformat()}",
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


async def check_budgets(
    session: AsyncSession, user: User, budgets: list[Budget], today: date | None = None
) -> None:
    today = today or local_today(user.timezone)
    repository = BudgetRepository(session)
    ids = [b.id for b in budgets]
    spent = await repository.spent(ids, today, user.pay_day)
    carried = await repository.carried(ids, today, user.pay_day)
    for budget in budgets:
        limit = budget.limit + carried.get(budget.id, Decimal(0))
        await alert_crossed(session, user, budget, spent[budget.id], today, limit)


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
