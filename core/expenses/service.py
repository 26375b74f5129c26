from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from core.budgets.alerts import check_category
from core.crud import OwnedService, Page, Paging
from core.currencies.service import price_entries, price_entry
from core.documents.repository import DocumentRepository
from core.expenses.repository import ExpenseRepository
from core.expenses.schemas import EXPENSE_LIST_JSON, ExpenseCreate, ExpenseOut
from core.households.balances import checked_split, freeze_roster, save_split, splits_of
from core.households.service import check_household
from core.models import Expense, User
from core.periods import local_today
from core.rules.service import teach
from core.tags.repository import TagRepository

# Where a just-created expense carries its tags to the answer, saving a query.
GIVEN_TAGS = "given_tags"
GIVEN_SPLIT = "given_split"


def expense_out(
    expense: Any,
    document_ids: list[str],
    tags: list[str] | None = None,
    split: dict[int, Decimal] | None = None,
) -> ExpenseOut:
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
        tags=tags or [],
        split=split or None,
        household_id=expense.household_id,
    )


class ExpenseService(OwnedService[Expense, ExpenseCreate]):
    name = "expense"
    repository_class = ExpenseRepository
    create_schema = ExpenseCreate
    out_schema = ExpenseOut
    clearable = ("household_id",)

    async def list_page(
        self, session: AsyncSession, user: User, paging: Paging, filters: Any = None
    ) -> Page[Any]:
        return await ExpenseRepository(session).page_rows(user.id, paging, filters)

    async def shared_page(
        self,
        session: AsyncSession,
        user: User,
        household_id: int,
        paging: Paging,
        filters: Any = None,
    ) -> Page[Any]:
        return await ExpenseRepository(session).shared_page_rows(
            user.id, household_id, paging, filters
        )

    async def present(
        self, session: AsyncSession, user: User, objects: list[Any]
    ) -> list[BaseModel]:
        documents = await self._document_ids(session, objects)
        tags = await self._tags(session, objects)
        splits = await self._splits(session, objects)
        return [
            expense_out(
                expense, documents.get(expense.id, []), tags.get(expense.id), splits.get(expense.id)
            )
            for expense in objects
        ]

    async def present_json(self, session: AsyncSession, user: User, objects: list[Any]) -> bytes:
        documents = await self._document_ids(session, objects)
        tags = await self._tags(session, objects)
        splits = await self._splits(session, objects)
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
                    "tags": tags.get(e.id, []),
                    "split": splits.get(e.id),
                    "household_id": e.household_id,
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

    async def _tags(self, session: AsyncSession, objects: list[Any]) -> dict[int, list[str]]:
        # Likewise for tags: most pages have none, and then no query is made.
        tagged = [e.id for e in objects if getattr(e, "has_tags", True)]
        return await TagRepository(session).of("expense", tagged)

    async def _splits(
        self, session: AsyncSession, objects: list[Any]
    ) -> dict[int, dict[int, Decimal]]:
        # Only a shared expense can be split unevenly: a page of one's own asks nothing.
        shared = [e.id for e in objects if getattr(e, "household_id", None) is not None]
        return await splits_of(session, shared)

    async def present_new(self, session: AsyncSession, user: User, obj: Expense) -> BaseModel:
        # A new expense has no documents yet; its tags and split are the ones it was given.
        return expense_out(obj, [], getattr(obj, GIVEN_TAGS, None), getattr(obj, GIVEN_SPLIT, None))

    def defaults(self, user: User) -> dict[str, Any]:
        return {"date": local_today(user.timezone)}

    async def create(self, session: AsyncSession, user: User, data: ExpenseCreate) -> Expense:
        values = {**self.defaults(user), **data.model_dump(exclude_none=True)}
        tags = values.pop("tags", None)
        split = values.pop("split", None)
        await check_household(session, user.id, data.household_id)
        values = await price_entry(session, user.currency, values)
        if split:
            split = await checked_split(session, user, values.get("household_id"), split)
        expense, has_budget = await ExpenseRepository(session).insert(user.id, values)
        if expense.household_id is not None:  # its sharers are the members of this moment
            await freeze_roster(session, [expense.id], expense.household_id)
        if tags:
            await TagRepository(session).replace("expense", expense.id, tags)
            setattr(expense, GIVEN_TAGS, tags)
        if split:
            await save_split(session, expense.id, split)
            setattr(expense, GIVEN_SPLIT, split)
        if has_budget:  # otherwise nothing can cross a line: skip the lock and the sums
            await check_category(session, user, expense.category, expense.household_id)
        return expense

    async def create_many(
        self,
        session: AsyncSession,
        user: User,
        entries: list[ExpenseCreate],
        *,
        check_budgets: bool = True,
    ) -> list[int]:
        """Many expenses at once (a statement import): the budgets of their categories are
        checked once each afterwards, so a threshold alerts once, not once per row (a
        preview that will be rolled back checks none)."""
        defaults = self.defaults(user)
        for household_id in {entry.household_id for entry in entries}:
            await check_household(session, user.id, household_id)
        values = [
            {**defaults, **entry.model_dump(exclude_none=True, exclude={"tags", "split"})}
            for entry in entries
        ]
        values = await price_entries(session, user.currency, values)
        ids = await ExpenseRepository(session).insert_many(user.id, values)
        shared: dict[int, list[int]] = {}
        for expense_id, entry in zip(ids, entries, strict=True):
            if entry.household_id is not None:
                shared.setdefault(entry.household_id, []).append(expense_id)
        for household_id, expense_ids in shared.items():
            await freeze_roster(session, expense_ids, household_id)
        if check_budgets:
            for category in dict.fromkeys(entry.category.lower() for entry in entries):
                await check_category(session, user, category)
        return ids

    async def check_budgets_after_bulk(
        self, session: AsyncSession, user: User, categories: set[str]
    ) -> None:
        """After create_many(check_budgets=False) steps: each category's budgets once."""
        for category in sorted(categories):
            await check_category(session, user, category)

    async def update(
        self, session: AsyncSession, user: User, object_id: int, changes: BaseModel
    ) -> Expense:
        expense = await super().update(session, user, object_id, changes)
        if "category" in changes.model_fields_set and expense.description:
            # A person re-filing an entry teaches its merchant (SPEC 6: PATCH, chat re-file).
            await teach(session, user.id, "expense", expense.description, expense.category)
        return expense

    async def _apply(
        self, session: AsyncSession, user: User, obj: Expense, values: dict[str, Any]
    ) -> Expense:
        tags = values.pop("tags", None)  # kept in a table of their own
        if values.get("household_id") != obj.household_id:  # moved: to one of the caller's?
            await check_household(session, user.id, values.get("household_id"))
        split = values.pop("split", None)  # likewise (expense_shares)
        household_id = values.get("household_id", obj.household_id)
        if split is not None:
            split = await checked_split(session, user, household_id, split)
        elif household_id != obj.household_id:
            # A split names the old household's members (left behind even when that
            # household was deleted): the expense is split equally in its new one.
            split = {}
        # A changed amount, currency or date is priced again, at the (new) date's rate.
        # Its household too: a shared entry is checked in the household's currency.
        stored = {
            "amount": obj.amount,
            "currency": obj.currency,
            "date": obj.date,
            "household_id": obj.household_id,
        }
        values = await price_entry(session, user.currency, {**stored, **values})
        moved = household_id != obj.household_id
        expense = await super()._apply(session, user, obj, values)
        if moved:
            # Recorded anew in its new household: shared by that one's members of now.
            # A change of amount, date or split keeps its sharers: its shares rescale.
            await freeze_roster(session, [expense.id], expense.household_id)
        if tags is not None:
            await TagRepository(session).replace("expense", expense.id, tags)
        if split is not None:
            await save_split(session, expense.id, split)
        return expense

    async def after_change(self, session: AsyncSession, user: User, obj: Expense) -> None:
        await check_category(session, user, obj.category, obj.household_id)


expenses = ExpenseService()
