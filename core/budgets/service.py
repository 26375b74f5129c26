from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from core.budgets.alerts import check_budgets
from core.budgets.repository import BudgetRepository
from core.budgets.schemas import BudgetCreate, BudgetOut
from core.crud import OwnedService
from core.models import Budget, User
from core.periods import local_today


class BudgetService(OwnedService[Budget, BudgetCreate]):
    name = "budget"
    repository_class = BudgetRepository
    create_schema = BudgetCreate
    out_schema = BudgetOut

    async def present(
        self, session: AsyncSession, user: User, objects: list[Budget]
    ) -> list[BaseModel]:
        today = local_today(user.timezone)
        repository = BudgetRepository(session)
        ids = [budget.id for budget in objects]
        spent = await repository.spent(ids, today, user.pay_day)
        carried = await repository.carried(ids, today, user.pay_day)
        return [
            BudgetOut(
                id=budget.id,
                user_id=budget.user_id,
                category=budget.category,
                limit=budget.limit,
                period=budget.period,
                rollover=budget.rollover,
                spent=spent[budget.id],
                remaining=budget.limit + carried.get(budget.id, 0) - spent[budget.id],
                currency=user.currency,
            )
            for budget in objects
        ]

    async def all_for_user(self, session: AsyncSession, user: User) -> list[Budget]:
        return await BudgetRepository(session).all_for_user(user.id)

    async def after_change(self, session: AsyncSession, user: User, obj: Budget) -> None:
        # A budget created or lowered under spending that already crossed a line.
        await check_budgets(session, user, [obj])


budgets = BudgetService()
