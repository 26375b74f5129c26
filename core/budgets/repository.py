from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Date, Row, and_, case, func, literal, or_, select

from core.crud import OwnedRepository
from core.currencies.repository import converted
from core.models import PERIODS, Budget, Expense, Household, User
from core.planning.periods import period_containing, previous_period

_BATCH = 5000  # ids per IN list: under the drivers' parameter limits


# What the alert rules read of a personal budget, and whom they tell (alerts.BudgetFacts).
ALERT_COLUMNS = (
    Budget.id,
    Budget.user_id,
    Budget.category,
    Budget.limit,
    Budget.period,
    Budget.rollover,
)


def _per_period(bounds: dict[str, tuple[date, date]]) -> tuple[Any, Any]:
    """The first and last day of each budget's period, picked per row by CASE on its
    period: one query serves budgets of every period."""
    start = case({p: literal(b[0], Date()) for p, b in bounds.items()}, value=Budget.period)
    end = case({p: literal(b[1], Date()) for p, b in bounds.items()}, value=Budget.period)
    return start, end


def personal_spending(first: Any, last: Any) -> ColumnElement[bool]:
    """Joins a personal budget to its owner's expenses in its category from `first` to
    `last` (a household budget counts shared spending instead: `_household_sums`)."""
    return and_(
        Expense.user_id == Budget.user_id,
        func.lower(Expense.category) == func.lower(Budget.category),
        Expense.date >= first,
        Expense.date <= last,
    )


def _base_total() -> ColumnElement[Decimal]:
    """The joined expenses' sum in the base currency, 0 when there are none."""
    return func.coalesce(
        func.sum(Expense.base_amount), literal(Decimal(0), Expense.base_amount.type)
    )


class BudgetRepository(OwnedRepository[Budget]):
    model = Budget

    async def for_category(
        self, user_id: int, category: str, lock: bool = False, household_id: int | None = None
    ) -> list[Budget]:
        """The budgets an expense in `category` counts for: the user's own and, for an
        expense shared with a household, that household's."""
        whose = and_(Budget.user_id == user_id, Budget.household_id.is_(None))
        if household_id is not None:
            whose = or_(whose, Budget.household_id == household_id)
        query = select(Budget).where(whose, func.lower(Budget.category) == category.lower())
        if lock:
            query = query.with_for_update()
        return list((await self.session.execute(query.order_by(Budget.id))).scalars())

    async def lock_with_owner(self, budget_ids: set[int]) -> list[Row[Any]]:
        """These budgets (id, user_id, category, limit, period, rollover, with their
        user's pay_day, currency and timezone), locked in id order: concurrent checks take turns."""
        found: list[Row[Any]] = []
        ordered = sorted(budget_ids)
        for first in range(0, len(ordered), _BATCH):
            query = (
                select(*ALERT_COLUMNS, User.pay_day, User.currency, User.timezone)
                .join(User, User.id == Budget.user_id)
                .where(Budget.id.in_(ordered[first : first + _BATCH]))
                .order_by(Budget.id)
                .with_for_update(of=Budget)
            )
            result: Any = await self.session.execute(query)
            found.extend(result.all())
        return found

    async def all_for_user(self, user_id: int) -> list[Budget]:
        query = select(Budget).where(Budget.user_id == user_id).order_by(Budget.id)
        return list((await self.session.execute(query)).scalars())

    async def spent(
        self, budget_ids: list[int], today: date, pay_day: int = 1
    ) -> dict[int, Decimal]:
        """What each budget's category spent in the period that holds `today`
        (monthly periods run from the user's pay day).

        One query for any number of budgets: the period bounds are picked per row
        by CASE on the budget's period.
        """
        if not budget_ids:
            return {}
        start, end = _per_period(
            {period: period_containing(today, pay_day, period) for period in PERIODS}
        )
        query = (
            select(Budget.id, _base_total())
            .outerjoin(Expense, personal_spending(start, end))
            .where(Budget.id.in_(budget_ids))
            .group_by(Budget.id)
        )
        return {budget_id: spent for budget_id, spent in (await self.session.execute(query)).all()}

    async def carried(
        self, budget_ids: list[int], today: date, pay_day: int = 1
    ) -> dict[int, Decimal]:
        """What rollover budgets carry into the period holding `today`: last period's
        limit less what was spent in it (negative when overspent), for budgets that
        existed when last period began; computed in SQL, one query."""
        if not budget_ids:
            return {}
        start, end = _per_period(
            {period: previous_period(today, pay_day, period) for period in PERIODS}
        )
        query = (
            select(Budget.id, Budget.created_at, start.label("first"), Budget.limit - _base_total())
            .outerjoin(Expense, personal_spending(start, end))
            .where(Budget.id.in_(budget_ids), Budget.rollover.is_(True))
            .group_by(Budget.id, Budget.created_at, Budget.period, Budget.limit)
        )
        return {
            budget_id: carry
            for budget_id, created_at, first, carry in (await self.session.execute(query)).all()
            # A budget made during last period did not run it: nothing to carry.
            if created_at.date() <= first
        }

    async def household_spent(
        self, budget_ids: list[int], today: date, pay_day: int, currency: str
    ) -> dict[int, Decimal]:
        """`spent` of household budgets: the shared spending of every member of each
        budget's household, converted into `currency` (the household's) at each
        expense's date's rate, in SQL. `today` and `pay_day`: the budget's creator's."""
        bounds = {period: period_containing(today, pay_day, period) for period in PERIODS}
        return await self._household_sums(budget_ids, bounds, currency)

    async def household_carried(
        self, budget_ids: list[int], today: date, pay_day: int, currency: str
    ) -> dict[int, Decimal]:
        """`carried` of household rollover budgets, over the shared spending."""
        bounds = {period: previous_period(today, pay_day, period) for period in PERIODS}
        query = select(Budget.id, Budget.limit, Budget.created_at, Budget.period).where(
            Budget.id.in_(budget_ids), Budget.rollover.is_(True)
        )
        rollovers = [
            (budget_id, limit)
            for budget_id, limit, created_at, period in (await self.session.execute(query)).all()
            # A budget made during last period did not run it: nothing to carry.
            if created_at.date() <= bounds[period][0]
        ]
        if not rollovers:
            return {}
        spent = await self._household_sums([i for i, _ in rollovers], bounds, currency)
        return {budget_id: limit - spent[budget_id] for budget_id, limit in rollovers}

    async def _household_sums(
        self, budget_ids: list[int], bounds: dict[str, tuple[date, date]], currency: str
    ) -> dict[int, Decimal]:
        if not budget_ids:
            return {}
        start, end = _per_period(bounds)
        households = select(Budget.household_id).where(Budget.id.in_(budget_ids))
        # Rates are looked up once per (currency, day) of these households' spending.
        conversions, amount = await converted(
            self.session,
            amount=Expense.amount,
            currency=Expense.currency,
            day=Expense.date,
            to_currency=currency,
            where=and_(
                Expense.household_id.in_(households),
                Expense.date >= min(b[0] for b in bounds.values()),
                Expense.date <= max(b[1] for b in bounds.values()),
            ),
        )
        zero = literal(Decimal(0), Expense.amount.type)
        query = (
            select(Budget.id, func.coalesce(func.sum(amount), zero))
            .outerjoin(
                Expense,
                and_(
                    Expense.household_id == Budget.household_id,
                    func.lower(Expense.category) == func.lower(Budget.category),
                    Expense.date >= start,
                    Expense.date <= end,
                ),
            )
            .outerjoin(
                conversions,
                and_(conversions.c.currency == Expense.currency, conversions.c.day == Expense.date),
            )
            .where(Budget.id.in_(budget_ids))
            .group_by(Budget.id)
        )
        return {budget_id: spent for budget_id, spent in (await self.session.execute(query)).all()}

    async def household_budgets(self, budget_ids: list[int] | None = None) -> list[Any]:
        """Household budgets (these, or all: the sweep) with what their figures need: the
        creator's timezone and pay day, the household's currency and name."""
        query = (
            select(
                Budget.id,
                Budget.user_id,
                Budget.household_id,
                Budget.category,
                Budget.limit,
                Budget.period,
                User.timezone.label("tz"),
                User.pay_day,
                Household.currency,
                Household.name.label("household_name"),
            )
            .join(User, User.id == Budget.user_id)
            .join(Household, Household.id == Budget.household_id)
            .order_by(Budget.id)
        )
        if budget_ids is not None:
            query = query.where(Budget.id.in_(budget_ids))
        return list((await self.session.execute(query)).all())
