from datetime import date
from decimal import Decimal

from sqlalchemy import Date, and_, case, func, literal, select

from core.crud import OwnedRepository
from core.models import PERIODS, Budget, Expense
from core.periods import period_range


class BudgetRepository(OwnedRepository[Budget]):
    model = Budget

    async def for_category(self, user_id: int, category: str, lock: bool = False) -> list[Budget]:
        query = select(Budget).where(
            Budget.user_id == user_id, func.lower(Budget.category) == category.lower()
        )
        if lock:
            query = query.with_for_update()
        return list((await self.session.execute(query.order_by(Budget.id))).scalars())

    async def all_for_user(self, user_id: int) -> list[Budget]:
        query = select(Budget).where(Budget.user_id == user_id).order_by(Budget.id)
        return list((await self.session.execute(query)).scalars())

    async def spent(self, budget_ids: list[int], today: date) -> dict[int, Decimal]:
        """What each budget's category spent in the period that holds `today`.

        One query for any number of budgets: the period bounds are picked per row
        by CASE on the budget's period.
        """
        if not budget_ids:
            return {}
        bounds = {period: period_range(period, today) for period in PERIODS}
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
