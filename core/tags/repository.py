"""Tags of expenses and incomes: set, read, filter and total."""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Expense, ExpenseTag, IncomeTag

_TABLES: dict[str, tuple[Any, Any]] = {
    "expense": (ExpenseTag, ExpenseTag.expense_id),
    "income": (IncomeTag, IncomeTag.income_id),
}


def has_tag(kind: str, owner_id: Any, tag: str) -> ColumnElement[bool]:
    """The WHERE term for `?tag=` on a list of expenses or incomes."""
    model, column = _TABLES[kind]
    return exists().where(column == owner_id, model.tag == tag.strip().lstrip("#").lower())


class TagRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def replace(self, kind: str, object_id: int, tags: Sequence[str]) -> None:
        model, column = _TABLES[kind]
        await self.session.execute(delete(model).where(column == object_id))
        if tags:
            await self.session.execute(
                insert(model), [{column.key: object_id, "tag": tag} for tag in tags]
            )

    async def of(self, kind: str, object_ids: Sequence[int]) -> dict[int, list[str]]:
        if not object_ids:
            return {}
        model, column = _TABLES[kind]
        query = select(column, model.tag).where(column.in_(list(object_ids))).order_by(model.tag)
        found: dict[int, list[str]] = {}
        for object_id, tag in (await self.session.execute(query)).all():
            found.setdefault(object_id, []).append(tag)
        return found

    async def spending_by_tag(
        self, user_id: int, start: date, end: date
    ) -> list[tuple[str, Decimal]]:
        """Spending per tag over [start, end], largest first (an expense counts once per tag)."""
        spent = func.sum(Expense.amount)
        query = (
            select(ExpenseTag.tag, spent)
            .join(Expense, Expense.id == ExpenseTag.expense_id)
            .where(Expense.user_id == user_id, Expense.date >= start, Expense.date <= end)
            .group_by(ExpenseTag.tag)
            .order_by(spent.desc(), ExpenseTag.tag)
        )
        return [(tag, total) for tag, total in (await self.session.execute(query)).all()]
