from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from core.budgets.alerts import check_budgets
from core.budgets.repository import BudgetRepository
from core.budgets.schemas import BudgetCreate, BudgetOut
from core.budgets.shared import household_figures
from core.crud import OwnedService
from core.households.service import check_household
from core.models import Budget, User
from core.periods import local_today


class BudgetService(OwnedService[Budget, BudgetCreate]):
    name = "budget"
    repository_class = BudgetRepository
    create_schema = BudgetCreate
    out_schema = BudgetOut
    clearable = ("household_id",)

    async def present(
        self, session: AsyncSession, user: User, objects: list[Budget]
    ) -> list[BaseModel]:
        today = local_today(user.timezone)
        repository = BudgetRepository(session)
        # A household's figures only to its members now: a budget left behind in a
        # household its creator left shows what they spent themself, as a personal one.
        households = {b.household_id for b in objects if b.household_id is not None}
        mine = {h for h in households if await repository.in_household(user.id, h)}
        ids = [budget.id for budget in objects if budget.household_id not in mine]
        spent = await repository.spent(ids, today, user.pay_day)
        carried = await repository.carried(ids, today, user.pay_day)
        shared = await household_figures(
            session, [budget.id for budget in objects if budget.household_id in mine]
        )
        answers: list[BaseModel] = []
        for budget in objects:
            if budget.household_id not in mine:
                used, limit = spent[budget.id], budget.limit + carried.get(budget.id, 0)
                currency = user.currency
            else:
                figures = shared[budget.id]
                used, limit, currency = figures.spent, figures.limit, figures.budget.currency
            answers.append(
                BudgetOut(
                    id=budget.id,
                    user_id=budget.user_id,
                    category=budget.category,
                    limit=budget.limit,
                    period=budget.period,
                    rollover=budget.rollover,
                    spent=used,
                    remaining=limit - used,
                    currency=currency,
                    household_id=budget.household_id,
                )
            )
        return answers

    async def all_for_user(self, session: AsyncSession, user: User) -> list[Budget]:
        return await BudgetRepository(session).all_for_user(user.id)

    async def create(self, session: AsyncSession, user: User, data: BudgetCreate) -> Budget:
        await check_household(session, user.id, data.household_id)
        return await super().create(session, user, data)

    async def _apply(
        self, session: AsyncSession, user: User, obj: Budget, values: dict[str, Any]
    ) -> Budget:
        if values.get("household_id") != obj.household_id:  # moved: to one of the caller's?
            await check_household(session, user.id, values.get("household_id"))
        return await super()._apply(session, user, obj, values)

    async def after_change(self, session: AsyncSession, user: User, obj: Budget) -> None:
        # A budget created or lowered under spending that already crossed a line.
        await check_budgets(session, user, [obj])


budgets = BudgetService()
