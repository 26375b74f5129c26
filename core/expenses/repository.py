from typing import Any, cast

from sqlalchemy import ColumnElement, Row, Table, exists, func, insert, select

from core.crud import DatedRepository, DateFilters, Page, Paging
from core.expenses.schemas import ExpenseFilters
from core.models import Budget, Document, Expense

# What an answer shows of an expense: plain columns, no ORM objects on the hot path.
EXPENSE_COLUMNS = (
    Expense.id,
    Expense.user_id,
    Expense.category,
    Expense.amount,
    Expense.date,
    Expense.description,
)


class ExpenseRepository(DatedRepository[Expense]):
    model = Expense

    def conditions(self, filters: DateFilters) -> list[ColumnElement[bool]]:
        terms = super().conditions(filters)
        if isinstance(filters, ExpenseFilters) and filters.category:
            terms.append(func.lower(Expense.category) == filters.category.strip().lower())
        return terms

    async def page_rows(self, user_id: int, paging: Paging, filters: Any = None) -> Page[Any]:
        """A page of rows with `has_documents` per row and the total, in one round trip.

        The total is an uncorrelated subquery (counted once, on the index) rather
        than a window count, which would read every row of the user to count them.
        """
        where = [Expense.user_id == user_id, *(self.conditions(filters) if filters else [])]
        total = select(func.count()).select_from(Expense).where(*where).correlate(None)
        has_documents = exists().where(Document.expense_id == Expense.id)
        query = (
            select(
                *EXPENSE_COLUMNS,
                has_documents.label("has_documents"),
                total.scalar_subquery().label("total"),
            )
            .where(*where)
            .order_by(Expense.date.desc(), Expense.id.desc())
            .limit(paging.limit)
            .offset(paging.offset)
        )
        rows = list((await self.session.execute(query)).all())
        if rows:
            return Page(items=rows, total=rows[0].total)
        return Page(items=[], total=await self.count(user_id, where[1:]) if paging.offset else 0)

    async def insert(self, user_id: int, values: dict[str, Any]) -> tuple[Expense, bool]:
        """Insert an expense; also says whether a budget watches its category.

        The budget check rides on the INSERT's RETURNING, so an expense in a
        category without budgets costs one statement.
        """
        category: str = values["category"]
        watched = exists().where(
            Budget.user_id == user_id, func.lower(Budget.category) == category.lower()
        )
        table = cast(Table, Expense.__table__)
        query = (
            insert(table)
            .values(user_id=user_id, **values)
            .returning(table.c.id, table.c.created_at, watched.label("has_budget"))
        )
        row: Row[tuple[int, Any, bool]] = (await self.session.execute(query)).one()
        expense = Expense(id=row.id, user_id=user_id, created_at=row.created_at, **values)
        return expense, bool(row.has_budget)
