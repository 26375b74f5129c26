"""Household budgets' figures: the shared spending of every member, in the household's
currency, over periods that follow the budget's creator's timezone and pay day."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.budgets.repository import BudgetRepository
from core.periods import local_today
from core.planning.periods import period_containing


@dataclass(frozen=True)
class Figures:
    budget: Any  # the row of BudgetRepository.household_budgets
    spent: Decimal
    carried: Decimal  # a rollover's carry into this period
    today: date  # in the creator's timezone
    period: tuple[date, date]

    @property
    def limit(self) -> Decimal:
        """This period's limit, with a rollover's carry."""
        return self.budget.limit + self.carried


async def household_figures(
    session: AsyncSession, budget_ids: list[int] | None = None, now: datetime | None = None
) -> dict[int, Figures]:
    """Figures of these household budgets (None: all of them, for the sweep): one query
    for the budgets, then two per (timezone, pay day, currency) among them."""
    if budget_ids == []:
        return {}
    repository = BudgetRepository(session)
    groups: dict[tuple[str, int, str], list[Any]] = {}
    for row in await repository.household_budgets(budget_ids):
        groups.setdefault((row.tz, row.pay_day, row.currency), []).append(row)
    figures: dict[int, Figures] = {}
    for (tz, pay_day, currency), rows in groups.items():
        today = local_today(tz, now)
        ids = [row.id for row in rows]
        spent = await repository.household_spent(ids, today, pay_day, currency)
        carried = await repository.household_carried(ids, today, pay_day, currency)
        for row in rows:
            figures[row.id] = Figures(
                budget=row,
                spent=spent[row.id],
                carried=carried.get(row.id, Decimal(0)),
                today=today,
                period=period_containing(today, pay_day, row.period),
            )
    return figures
