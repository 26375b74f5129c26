"""Budget alerts at 80 % and 100 % of a period's limit, once each per period."""

from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from core.budgets.repository import BudgetRepository
from core.models import Budget, User
from core.notifications.service import notify
from core.periods import local_today, period_range

THRESHOLDS = (80, 100)
PERIOD_WORDS = {
    "daily": "today",
    "weekly": "this week",
    "monthly": "this month",
    "yearly": "this year",
}


def alert_key(budget_id: int, period_start: date, threshold: int) -> str:
    return f"budget:{budget_id}:{period_start.isoformat()}:{threshold}"


def alert_message(budget: Budget, spent: Decimal, currency: str) -> str:
    percent = int(spent * 100 / budget.limit)
    return (
        f"{budget.category}: {spent:.2f} of {budget.limit:.2f} {currency} spent "
        f"{PERIOD_WORDS[budget.period]} ({percent} %)"
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
                alert_message(budget, spent, user.currency),
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
