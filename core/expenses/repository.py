from sqlalchemy import ColumnElement, func, select

from core.crud import DatedRepository, DateFilters
from core.expenses.schemas import ExpenseFilters
from core.models import Expense


class ExpenseRepository(DatedRepository[Expense]):
    model = Expense

    def conditions(self, filters: DateFilters) -> list[ColumnElement[bool]]:
        terms = super().conditions(filters)
        if isinstance(filters, ExpenseFilters) and filters.category:
            terms.append(func.lower(Expense.category) == filters.category.strip().lower())
        return terms

    async def top_categories(self, user_id: int, limit: int) -> list[str]:
        """The person's most used expense categories (case-insensitive), most used first."""
        key = func.lower(Expense.category)
        query = (
            select(func.min(Expense.category))
            .where(Expense.user_id == user_id)
            .group_by(key)
            .order_by(func.count().desc(), key)
            .limit(limit)
        )
        return list((await self.session.execute(query)).scalars())

    async def recent_words(self, user_id: int, limit: int = 300) -> list[tuple[str, str]]:
        """(description, category) of recent expenses: the words people reuse."""
        query = (
            select(Expense.description, Expense.category)
            .where(Expense.user_id == user_id, Expense.description != "")
            .order_by(Expense.id.desc())
            .limit(limit)
        )
        return [(d, c) for d, c in (await self.session.execute(query)).all()]
