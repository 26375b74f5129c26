from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from core.budgets.alerts import check_category
from core.crud import OwnedService
from core.documents.repository import DocumentRepository
from core.expenses.repository import ExpenseRepository
from core.expenses.schemas import ExpenseCreate, ExpenseOut
from core.models import Expense, User
from core.periods import local_today


class ExpenseService(OwnedService[Expense, ExpenseCreate]):
    name = "expense"
    repository_class = ExpenseRepository
    create_schema = ExpenseCreate
    out_schema = ExpenseOut

    async def present(
        self, session: AsyncSession, user: User, objects: list[Expense]
    ) -> list[BaseModel]:
        documents = await DocumentRepository(session).ids_by_expense([e.id for e in objects])
        return [
            ExpenseOut.model_validate(expense).model_copy(
                update={"document_ids": documents.get(expense.id, [])}
            )
            for expense in objects
        ]

    async def present_new(self, session: AsyncSession, user: User, obj: Expense) -> BaseModel:
        return ExpenseOut.model_validate(obj)  # a new expense has no documents yet

    def defaults(self, user: User) -> dict[str, Any]:
        return {"date": local_today(user.timezone)}

    async def after_change(self, session: AsyncSession, user: User, obj: Expense) -> None:
        await check_category(session, user, obj.category)


expenses = ExpenseService()
