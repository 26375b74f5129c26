from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Insert,
    Select,
    Table,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
)

from core.crud import DatedRepository, DateFilters, Page, Paging, insert_many_ids
from core.db import QUICK_READ, HotStatement
from core.expenses.schemas import ExpenseFilters
from core.models import Budget, Document, Expense, ExpenseTag
from core.models.base import as_loaded, utcnow
from core.tags.repository import has_tag

# What an answer shows of an expense: plain columns, no ORM objects on the hot path.
EXPENSE_COLUMNS: tuple[Any, ...] = (
    Expense.id,
    Expense.user_id,
    Expense.category,
    Expense.amount,
    Expense.currency,
    Expense.base_amount,
    Expense.rate_date,
    Expense.date,
    Expense.description,
    Expense.household_id,
)


class ExpenseRepository(DatedRepository[Expense]):
    model = Expense

    def conditions(self, filters: DateFilters) -> list[ColumnElement[bool]]:
        terms = super().conditions(filters)
        if isinstance(filters, ExpenseFilters) and filters.category:
            terms.append(func.lower(Expense.category) == filters.category.strip().lower())
        if isinstance(filters, ExpenseFilters) and filters.tag:
            terms.append(has_tag("expense", Expense.id, filters.tag))
        return terms

    async def page_rows(self, user_id: int, paging: Paging, filters: Any = None) -> Page[Any]:
        """A page of rows with `has_documents` and `has_tags` per row and the total, in
        one round trip.

        The total is an uncorrelated subquery (counted once, on the index) rather
        than a window count, which would read every row of the user to count them.
        """
        narrowing = self.conditions(filters) if filters else []
        params = {"owner_id": user_id, "limit": paging.limit, "offset": paging.offset}
        if narrowing:
            # Core on the session's connection: the ORM's result machinery would
            # cost more than the query itself for a page of plain columns.
            connection = await self.session.connection()
            query = _page_query(narrowing)
            rows = [_PageRow._make(row) for row in await connection.execute(query, params)]
        else:
            rows = await _PAGE.rows(self.session, params)
        if rows:
            return Page(items=rows, total=rows[0].total)
        return Page(items=[], total=await self.count(user_id, narrowing) if paging.offset else 0)

    async def shared_page_rows(
        self, viewer_id: int, household_id: int, paging: Paging, filters: Any = None
    ) -> Page[Any]:
        """page_rows of a household's shared expenses, for a member only."""
        scope = self.shared(viewer_id, household_id)
        narrowing = self.conditions(filters) if filters else []
        query = _page_query(narrowing, scope)
        params = {"limit": paging.limit, "offset": paging.offset}
        connection = await self.session.connection()
        rows = [_PageRow._make(row) for row in await connection.execute(query, params)]
        if rows:
            return Page(items=rows, total=rows[0].total)
        total = await self.count_where([*scope, *narrowing]) if paging.offset else 0
        return Page(items=[], total=total)

    async def insert(self, user_id: int, values: dict[str, Any]) -> tuple[Expense, bool]:
        """Insert an expense; also says whether a budget watches its category.

        The budget check rides on the INSERT's RETURNING, so an expense in a
        category without budgets costs one statement.
        """
        params = {f"new_{name}": value for name, value in values.items()}
        params["new_user_id"] = user_id
        params["new_created_at"] = utcnow()
        if "new_household_id" in params:  # shared: the household's budgets watch it too
            query = _INSERT_SHARED if "new_description" in params else _INSERT_SHARED_NO_DESCRIPTION
        else:
            query = _INSERT if "new_description" in params else _INSERT_NO_DESCRIPTION
        [row] = await query.rows(self.session, params)
        given = {"id": row.id, "user_id": user_id, "created_at": params["new_created_at"]}
        expense = as_loaded(Expense, {**values, **given}.items())
        return expense, bool(row.has_budget)

    async def insert_many(self, user_id: int, rows: list[dict[str, Any]]) -> list[int]:
        """Insert many expenses in few statements; their ids, in the order given."""
        created_at = utcnow()
        values = [{**row, "user_id": user_id, "created_at": created_at} for row in rows]
        match = ("date", "amount", "description", "category")
        return await insert_many_ids(self.session, Expense.__table__, values, match)


def _page_query(
    narrowing: list[ColumnElement[bool]], scope: list[ColumnElement[bool]] | None = None
) -> Select[Any]:
    """`scope`: whose rows (default the owner's, by the `owner_id` parameter)."""
    where = [*(scope or [Expense.user_id == bindparam("owner_id")]), *narrowing]
    total = select(func.count()).select_from(Expense).where(*where).correlate(None)
    has_documents = exists().where(Document.expense_id == Expense.id)
    has_tags = exists().where(ExpenseTag.expense_id == Expense.id)
    return (
        select(
            *EXPENSE_COLUMNS,
            has_documents.label("has_documents"),
            has_tags.label("has_tags"),
            total.scalar_subquery().label("total"),
        )
        .where(*where)
        .order_by(Expense.date.desc(), Expense.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


def _insert_query(columns: tuple[str, ...]) -> Insert:
    table = cast(Table, Expense.__table__)
    owner = Budget.user_id == bindparam("new_user_id")
    if "household_id" in columns:
        owner = or_(owner, Budget.household_id == bindparam("new_household_id"))
    watched = exists().where(
        owner, func.lower(Budget.category) == func.lower(bindparam("new_category"))
    )
    return (
        insert(table)
        .values({name: bindparam(f"new_{name}") for name in columns})
        .returning(table.c.id, watched.label("has_budget"))
    )


# The hot statements, built once: their SQL and cache keys are made at start.
# The plain list (no filters): a bounded page and a count on the (user_id, date, id) index.
_PAGE = HotStatement(_page_query([]).execution_options(**QUICK_READ))
_PRICED = ("amount", "currency", "base_amount", "rate_date", "date")
_INSERT = HotStatement(
    _insert_query(("user_id", "category", *_PRICED, "description", "created_at"))
)
_INSERT_NO_DESCRIPTION = HotStatement(
    _insert_query(("user_id", "category", *_PRICED, "created_at"))
)
_SHARED = ("user_id", "household_id", "category", *_PRICED)
_INSERT_SHARED = HotStatement(_insert_query((*_SHARED, "description", "created_at")))
_INSERT_SHARED_NO_DESCRIPTION = HotStatement(_insert_query((*_SHARED, "created_at")))
# A page's rows as named tuples: their attributes are read far faster than a Row's.
_PageRow: Any = _PAGE.row
