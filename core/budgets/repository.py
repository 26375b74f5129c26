from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Row, and_, case, func, literal, select

from core.crud import OwnedRepository
from core.models import PERIODS, Budget, Expense, User
from core.planning.periods import period_containing, previous_period

_BATCH = 5000  # ids per IN list: under the drivers' parameter limits


class BudgetRepository(OwnedRepository[Budget]):
    model = Budget

    async def for_category(self, user_id: int, category: str, lock: bool = False) -> list[Budget]:
        query = select(Budget).where(
            Budget.user_id == user_id, func.lower(Budget.category) == category.lower()
        )
        if lock:
            query = query.with_for_update()
        return list((await self.session.execute(query.order_by(Budget.id))).scalars())

    async def lock_with_owner(self, budget_ids: set[int]) -> list[Row[Any]]:
        """These budgets (id, user_id, category, limit, period, rollover, with their
        user's pay_day, currency and timezone), locked in id order: concurrent checks take turns."""
        found: list[Row[Any]] = []
        ordered = sorted(budget_ids)
        for first in range(0, len(ordered), _BATCH):
            query = (
                select(
                    Budget.id,
                    Budget.user_id,
                    Budget.category,
                    Budget.limit,
                    Budget.period,
                    Budget.rollover,
                    User.pay_day,
                    User.currency,
                    User.timezone,
                )
                .join(User, User.id == Budget.user_id)
                .where(Budget.id.in_(ordered[first : first + _BATCH]))
                .order_by(Budget.id)
                .with_for_update(of=Budget)
            )
            result: Any = await self.session.execute(query)
            found.extend(result.all())
        return found

    async def all_for_user(self, user_id: int) -> list[Budget]:
        query = select(Budget).where(Budget.user_id == user_id).order_by(Budget.id)
        return list((await self.session.execute(query)).scalars())

    async def spent(
        self, budget_ids: list[int], today: date, pay_day: int = 1
    ) -> dict[int, Decimal]:
        """What each budget's category spent in the period that holds `today`
        (monthly periods run from the user's pay day).

        One query for any number of budgets: the period bounds are picked per row
        by CASE on the budget's period.
        """
        if not budget_ids:
            return {}
        bounds = {period: period_containing(today, pay_day, period) for period in PERIODS}
        start = case({p: literal(b[0], Date()) for p, b in bounds.items()}, value=Budget.period)
        end = case({p: literal(b[1], Date()) for p, b in bounds.items()}, value=Budget.period)
        zero = literal(Decimal(0), Expense.base_amount.type)
        total = func.coalesce(func.sum(Expense.base_amount), zero)  # in the base currency
        query = (
            select(Budget.id, total)
            .outerjoin(
                Expense,
                and_(
                    Expense.user_id == Budget.user_id,
                    func.lower(Expense.category) == func.lower(Budget.category),
                    Expense.date >= start,
                    Expense.date <= end,
                ),
            )
            .where(Budget.id.in_(budget_ids))
            .group_by(Budget.id)
        )
        return {budget_id: spent for budget_id, spent in (await self.session.execute(query)).all()}

    async def carried(
        self, budget_ids: list[int], today: date, pay_day: int = 1
    ) -> dict[int, Decimal]:
        """What rollover budgets carry into the period holding `today`: last period's
        limit less what was spent in it (negative when overspent), for budgets that
        existed when last period began; computed in SQL, one query."""
        if not budget_ids:
            return {}
        bounds = {period: previous_period(today, pay_day, period) for period in PERIODS}
        start = case({p: literal(b[0], Date()) for p, b in bounds.items()}, value=Budget.period)
        end = case({p: literal(b[1], Date()) for p, b in bounds.items()}, value=Budget.period)
        total = func.coalesce(func.sum(Expense.amount), literal(Decimal(0), Expense.amount.type))
        query = (
            select(Budget.id, Budget.created_at, start.label("first"), Budget.limit - total)
            .outerjoin(
                Expense,
                and_(
                    Expense.user_id == Budget.user_id,
                    func.lower(Expense.category) == func.lower(Budget.category),
                    Expense.date >= start,
                    Expense.date <= end,
                ),
            )
            .where(Budget.id.in_(budget_ids), Budget.rollover.is_(True))
            .group_by(Budget.id, Budget.created_at, Budget.period, Budget.limit)
        )
        return {
            budget_id: carry
            for budget_id, created_at, first, carry in (await self.session.execute(query)).all()
            # A budget made during last period did not run it: nothing to carry.
            if created_at.date() <= first
        }
