from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, ScalarSelect, and_, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.crud import is_member
from core.currencies.repository import converted
from core.models import Expense, Income


class ReportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def totals(self, user_id: int, start: date, end: date) -> tuple[Decimal, Decimal]:
        """(income, expenses) over [start, end], in one round trip."""
        zero = literal(Decimal(0), Expense.base_amount.type)

        def total(model: type[Expense] | type[Income]) -> ScalarSelect[Decimal]:
            return (
                select(func.coalesce(func.sum(model.base_amount), zero))
                .where(model.user_id == user_id, model.date >= start, model.date <= end)
                .scalar_subquery()
            )

        row = (await self.session.execute(select(total(Income), total(Expense)))).one()
        return row[0], row[1]

    async def expenses_by_category(
        self, user_id: int, start: date, end: date
    ) -> list[tuple[str, Decimal]]:
        """Spending per category (case-insensitive), largest first."""
        key = func.lower(Expense.category)
        spent = func.sum(Expense.base_amount)
        query = (
            select(func.min(Expense.category), spent)
            .where(Expense.user_id == user_id, Expense.date >= start, Expense.date <= end)
            .group_by(key)
            .order_by(spent.desc(), key)
        )
        return [
            (category, amount) for category, amount in (await self.session.execute(query)).all()
        ]

    async def household_spending(
        self, viewer_id: int, household_id: int, start: date, end: date, currency: str
    ) -> list[Row[Any]]:
        """The household's shared spending over [start, end] in `currency` (each expense
        at its date's rate), per (member, category): rows (user_id, category, total,
        unpriced), unpriced counting the entries that have no rate into `currency`.
        Nothing unless the viewer is a member."""
        return await self._household_totals(
            Expense, viewer_id, household_id, start, end, currency, by_member=True
        )

    async def household_income(
        self, viewer_id: int, household_id: int, start: date, end: date, currency: str
    ) -> Row[Any]:
        """The household's shared income over [start, end] in `currency`: one row
        (total, unpriced); total is NULL when there is none."""
        rows = await self._household_totals(
            Income, viewer_id, household_id, start, end, currency, by_member=False
        )
        return rows[0]

    async def _household_totals(
        self,
        model: type[Expense] | type[Income],
        viewer_id: int,
        household_id: int,
        start: date,
        end: date,
        currency: str,
        *,
        by_member: bool,
    ) -> list[Row[Any]]:
        shared = and_(
            model.household_id == household_id,
            model.date >= start,
            model.date <= end,
            is_member(viewer_id, household_id),
        )
        conversions, amount = await converted(
            self.session,
            amount=model.amount,
            currency=model.currency,
            day=model.date,
            to_currency=currency,
            where=shared,
        )
        total = func.sum(amount).label("total")
        # SUM skips NULLs: an entry without a rate would vanish from the total unseen.
        unpriced = (func.count() - func.count(amount)).label("unpriced")
        joined = and_(conversions.c.currency == model.currency, conversions.c.day == model.date)
        if not by_member:
            query = (
                select(total, unpriced).select_from(model).join(conversions, joined).where(shared)
            )
            return list((await self.session.execute(query)).all())
        assert model is Expense
        key = func.lower(Expense.category)
        grouped = (
            select(Expense.user_id, func.min(Expense.category).label("category"), total, unpriced)
            .join(conversions, joined)
            .where(shared)
            .group_by(Expense.user_id, key)
        )
        return list((await self.session.execute(grouped)).all())
