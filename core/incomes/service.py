from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.crud import OwnedService
from core.currencies.service import price_entry
from core.incomes.repository import IncomeRepository
from core.incomes.schemas import IncomeCreate, IncomeOut
from core.models import Income, User
from core.periods import local_today


class IncomeService(OwnedService[Income, IncomeCreate]):
    name = "income"
    repository_class = IncomeRepository
    create_schema = IncomeCreate
    out_schema = IncomeOut

    def defaults(self, user: User) -> dict[str, Any]:
        return {"date": local_today(user.timezone)}

    async def create(self, session: AsyncSession, user: User, data: IncomeCreate) -> Income:
        values = {**self.defaults(user), **data.model_dump(exclude_none=True)}
        values = await price_entry(session, user.currency, values)
        income = Income(user_id=user.id, **values)
        await IncomeRepository(session).add(income)
        return income

    async def _apply(
        self, session: AsyncSession, user: User, obj: Income, values: dict[str, Any]
    ) -> Income:
        # A changed amount, currency or date is priced again, at the (new) date's rate.
        stored = {"amount": obj.amount, "currency": obj.currency, "date": obj.date}
        values = await price_entry(session, user.currency, {**stored, **values})
        return await super()._apply(session, user, obj, values)


incomes = IncomeService()
