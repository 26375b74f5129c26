from sqlalchemy import ColumnElement, func

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
