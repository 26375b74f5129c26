"""Household balances SQL: members, shared expenses, their splits, settlements."""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Expense, ExpenseShare, Household, HouseholdMember, Settlement


class BalanceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def household_of_member(self, user_id: int, household_id: int) -> Household | None:
        """The household if `user_id` is one of its members (else None: not theirs)."""
        member = exists().where(
            HouseholdMember.household_id == Household.id, HouseholdMember.user_id == user_id
        )
        query = select(Household).where(Household.id == household_id, member)
        household: Household | None = await self.session.scalar(query)
        return household

    async def member_ids(self, household_id: int) -> list[int]:
        query = (
            select(HouseholdMember.user_id)
            .where(HouseholdMember.household_id == household_id)
            .order_by(HouseholdMember.user_id)
        )
        return list((await self.session.scalars(query)).all())

    async def shared_expenses(self, household_id: int) -> Sequence[Any]:
        """(id, user_id, amount, currency, date) of every shared expense."""
        query = select(
            Expense.id, Expense.user_id, Expense.amount, Expense.currency, Expense.date
        ).where(Expense.household_id == household_id)
        return (await self.session.execute(query)).all()

    async def splits(self, household_id: int) -> dict[int, dict[int, Decimal]]:
        """expense id -> {user_id: share} for the shared expenses split unevenly."""
        query = (
            select(ExpenseShare.expense_id, ExpenseShare.user_id, ExpenseShare.share)
            .join(Expense, Expense.id == ExpenseShare.expense_id)
            .where(Expense.household_id == household_id)
        )
        found: dict[int, dict[int, Decimal]] = {}
        for expense_id, user_id, share in await self.session.execute(query):
            found.setdefault(expense_id, {})[user_id] = share
        return found

    async def settlements(self, household_id: int) -> list[Settlement]:
        query = (
            select(Settlement)
            .where(Settlement.household_id == household_id)
            .order_by(Settlement.date.desc(), Settlement.id.desc())
        )
        return list((await self.session.scalars(query)).all())

    async def add_settlement(
        self,
        *,
        household_id: int,
        from_user_id: int,
        to_user_id: int,
        amount: Decimal,
        currency: str,
        on: date,
        note: str,
        created_by: int,
    ) -> Settlement:
        settlement = Settlement(
            household_id=household_id,
            from_user_id=from_user_id,
            to_user_id=to_user_id,
            amount=amount,
            currency=currency,
            date=on,
            note=note,
            created_by=created_by,
        )
        self.session.add(settlement)
        await self.session.flush()
        return settlement
