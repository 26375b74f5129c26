from datetime import date
from decimal import Decimal

from sqlalchemy import ScalarSelect, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Expense, Income


class ReportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def totals(self, user_id: int, start: date, end: date) -> tuple[Decimal, Decimal]:
        """(income, expenses) over [start, end], in one round trip."""
        zero = literal(Decimal(0), Expense.base_amount.type)

        def total(model: type[Expense] | type[Income]) -> ScalarSelect[Decimal]:
            return (
                select(func.coalesce(func.sum(model.base_amount), zero))
                .where(model.user_id == user_id, model.date >= start, model.date <= end)
                .scalar_subquery()
            )

        row = (await self.session.execute(select(total(Income), total(Expense)))).one()
        return row[0], row[1]

    async def expenses_by_category(
        self, user_id: int, start: date, end: date
    ) -> list[tuple[str, Decimal]]:
        """Spending per category (case-insensitive), largest first."""
        key = func.lower(Expense.category)
        spent = func.sum(Expense.base_amount)
        query = (
            select(func.min(Expense.category), spent)
            .where(Expense.user_id == user_id, Expense.date >= start, Expense.date <= end)
            .group_by(key)
            .order_by(spent.desc(), key)
        )
        return [
            (category, amount) for category, amount in (await self.session.execute(query)).all()
        ]
