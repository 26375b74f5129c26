from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from core.budgets.alerts import check_category
from core.crud import OwnedService, Page, Paging
from core.currencies.service import price_entry
from core.documents.repository import DocumentRepository
from core.expenses.repository import ExpenseRepository
from core.expenses.schemas import EXPENSE_LIST_JSON, ExpenseCreate, ExpenseOut
from core.models import Expense, User
from core.periods import local_today


def expense_out(expense: Any, document_ids: list[str]) -> ExpenseOut:
    # Built from stored values (ORM object or row), which need no validating again.
    return ExpenseOut.model_construct(
        id=expense.id,
        user_id=expense.user_id,
        category=expense.category,
        amount=expense.amount,
        currency=expense.currency,
        base_amount=expense.base_amount,
        rate_date=expense.rate_date,
        date=expense.date,
        description=expense.description,
        document_ids=document_ids,
    )


class ExpenseService(OwnedService[Expense, ExpenseCreate]):
    name = "expense"
    repository_class = ExpenseRepository
    create_schema = ExpenseCreate
    out_schema = ExpenseOut

    async def list_page(
        self, session: AsyncSession, user: User, paging: Paging, filters: Any = None
    ) -> Page[Any]:
        return await ExpenseRepository(session).page_rows(user.id, paging, filters)

    async def present(
        self, session: AsyncSession, user: User, objects: list[Any]
    ) -> list[BaseModel]:
        documents = await self._document_ids(session, objects)
        return [expense_out(expense, documents.get(expense.id, [])) for expense in objects]

    async def present_json(self, session: AsyncSession, user: User, objects: list[Any]) -> bytes:
        documents = await self._document_ids(session, objects)
        return EXPENSE_LIST_JSON.dump_json(
            [
                {
                    "id": e.id,
                    "user_id": e.user_id,
                    "category": e.category,
                    "amount": e.amount,
                    "currency": e.currency,
                    "base_amount": e.base_amount,
                    "rate_date": e.rate_date,
                    "date": e.date,
                    "description": e.description,
                    "document_ids": documents.get(e.id, []),
                }
                for e in objects
            ]
        )

    async def _document_ids(
        self, session: AsyncSession, objects: list[Any]
    ) -> dict[int, list[str]]:
        # Rows from list_page say whether they have documents: ask only for those.
        with_documents = [e.id for e in objects if getattr(e, "has_documents", True)]
        return await DocumentRepository(session).ids_by_expense(with_documents)

    async def present_new(self, session: AsyncSession, user: User, obj: Expense) -> BaseModel:
        return expense_out(obj, [])  # a new expense has no documents yet

    def defaults(self, user: User) -> dict[str, Any]:
        return {"date": local_today(user.timezone)}

    async def create(self, session: AsyncSession, user: User, data: ExpenseCreate) -> Expense:
        values = {**self.defaults(user), **data.model_dump(exclude_none=True)}
        values = await price_entry(session, user.currency, values)
        expense, has_budget = await ExpenseRepository(session).insert(user.id, values)
        if has_budget:  # otherwise nothing can cross a line: skip the lock and the sums
            await check_category(session, user, expense.category)
        return expense

    async def _apply(
        self, session: AsyncSession, user: User, obj: Expense, values: dict[str, Any]
    ) -> Expense:
        # A changed amount, currency or date is priced again, at the (new) date's rate.
        stored = {"amount": obj.amount, "currency": obj.currency, "date": obj.date}
        values = await price_entry(session, user.currency, {**stored, **values})
        return await super()._apply(session, user, obj, values)

    async def after_change(self, session: AsyncSession, user: User, obj: Expense) -> None:
        await check_category(session, user, obj.category)


expenses = ExpenseService()
