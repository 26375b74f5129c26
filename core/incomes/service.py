from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from core.crud import OwnedService
from core.currencies.service import price_entries, price_entry
from core.households.service import check_household
from core.incomes.repository import IncomeRepository
from core.incomes.schemas import IncomeCreate, IncomeOut
from core.models import Income, User
from core.periods import local_today
from core.rules.service import teach
from core.tags.repository import TagRepository


class IncomeService(OwnedService[Income, IncomeCreate]):
    name = "income"
    repository_class = IncomeRepository
    create_schema = IncomeCreate
    out_schema = IncomeOut
    clearable = ("household_id",)

    def defaults(self, user: User) -> dict[str, Any]:
        return {"date": local_today(user.timezone)}

    async def present(
        self, session: AsyncSession, user: User, objects: list[Income]
    ) -> list[BaseModel]:
        tags = await TagRepository(session).of("income", [i.id for i in objects])
        return [
            IncomeOut.model_validate(income).model_copy(update={"tags": tags.get(income.id, [])})
            for income in objects
        ]

    async def create(self, session: AsyncSession, user: User, data: IncomeCreate) -> Income:
        values = {**self.defaults(user), **data.model_dump(exclude_none=True)}
        tags = values.pop("tags", None)  # kept in a table of their own
        await check_household(session, user.id, data.household_id)
        values = await price_entry(session, user.currency, values)
        income = Income(user_id=user.id, **values)
        await IncomeRepository(session).add(income)
        if tags:
            await TagRepository(session).replace("income", income.id, tags)
        return income

    async def _apply(
        self, session: AsyncSession, user: User, obj: Income, values: dict[str, Any]
    ) -> Income:
        tags = values.pop("tags", None)  # kept in a table of their own
        if values.get("household_id") != obj.household_id:  # moved: to one of the caller's?
            await check_household(session, user.id, values.get("household_id"))
        # A changed amount, currency or date is priced again, at the (new) date's rate.
        # Its household too: a shared entry is checked in the household's currency.
        stored = {
            "amount": obj.amount,
            "currency": obj.currency,
            "date": obj.date,
            "household_id": obj.household_id,
        }
        values = await price_entry(session, user.currency, {**stored, **values})
        income = await super()._apply(session, user, obj, values)
        if tags is not None:
            await TagRepository(session).replace("income", income.id, tags)
        return income

    async def update(
        self, session: AsyncSession, user: User, object_id: int, changes: BaseModel
    ) -> Income:
        income = await super().update(session, user, object_id, changes)
        if "source" in changes.model_fields_set and income.description:
            await teach(session, user.id, "income", income.description, income.source)
        return income

    async def create_many(
        self, session: AsyncSession, user: User, entries: list[IncomeCreate]
    ) -> list[int]:
        """Many incomes at once (a statement import); their ids, in order."""
        defaults = self.defaults(user)
        for household_id in {entry.household_id for entry in entries}:
            await check_household(session, user.id, household_id)
        values = [
            {**defaults, **entry.model_dump(exclude_none=True, exclude={"tags"})}
            for entry in entries
        ]
        values = await price_entries(session, user.currency, values)
        return await IncomeRepository(session).insert_many(user.id, values)


incomes = IncomeService()
