from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.budgets.alerts import check_category
from core.crud import OwnedService
from core.expenses.repository import ExpenseRepository
from core.expenses.schemas import Expense as ExpenseOut
from core.expenses.schemas import ExpenseCreate
from core.models import Expense, User
from core.periods import local_today


class ExpenseService(OwnedService[Expense, ExpenseCreate]):
    name = "expense"
    repository_class = ExpenseRepository
    create_schema = ExpenseCreate
    out_schema = ExpenseOut

    def defaults(self, user: User) -> dict[str, Any]:
        return {"date": local_today(user.timezone)}

    async def after_change(self, session: AsyncSession, user: User, obj: Expense) -> None:
        await check_category(session, user, obj.category)


expenses = ExpenseService()
