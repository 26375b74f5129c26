"""Set-based queries for the periodic jobs: one statement covers every user.

Periods follow each user's timezone, so the bounds of "this week" differ by
timezone. They arrive as a small VALUES table (one row per timezone and
period) joined to users, instead of one query per user.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    Row,
    String,
    and_,
    case,
    delete,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from core.budgets.repository import ALERT_COLUMNS, personal_spending
from core.models import (
    Budget,
    Expense,
    Goal,
    Income,
    LoginFailure,
    Notification,
    PasswordReset,
    TelegramLinkCode,
    User,
)

PeriodBounds = tuple[str, str, date, date]  # (timezone, period, first day, last day)


def _table(name: str, columns: list[tuple[str, Any]], rows: list[tuple[Any, ...]]) -> Any:
    """A small inline table. UNION ALL of SELECTs rather than VALUES: SQLite has no
    VALUES with column names, and both databases plan this the same."""
    selects = [
        select(
            *(literal(value, kind).label(n) for value, (n, kind) in zip(row, columns, strict=True))
        )
        for row in rows
    ]
    return union_all(*selects).subquery(name)


def _with_pay_days(
    columns: list[tuple[str, Any]], rows: Any, pay_days: list[int] | None
) -> tuple[list[tuple[str, Any]], list[tuple[Any, ...]]]:
    """The columns and rows of an inline table, with a pay_day column when given."""
    if pay_days is None:
        return columns, list(rows)
    return [*columns, ("pay_day", Integer)], [
        (*row, day) for row, day in zip(rows, pay_days, strict=True)
    ]


def _pay_day_matches(table: Any, pay_days: list[int] | None) -> Any:
    return table.c.pay_day == User.pay_day if pay_days is not None else true()


class JobsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def timezones(self) -> list[str]:
        return list((await self.session.execute(select(User.timezone).distinct())).scalars())

    async def timezones_and_pay_days(self) -> list[tuple[str, int]]:
        query = select(User.timezone, User.pay_day).distinct()
        return [(tz, pay_day) for tz, pay_day in await self.session.execute(query)]

    async def budgets_at_least(
        self,
        bounds_rows: list[PeriodBounds],
        percent: int,
        pay_days: list[int] | None = None,
    ) -> list[Row[Any]]:
        """Budgets whose spending in the given period reached `percent` of the limit.

        With `pay_days` (one per bounds row), a row applies to the users of that
        timezone and pay day only (monthly periods run from pay day)."""
        if not bounds_rows:
            return []
        columns = [("tz", String), ("period", String), ("first", Date), ("last", Date)]
        bounds = _table("bounds", *_with_pay_days(columns, bounds_rows, pay_days))
        pay_day_matches = _pay_day_matches(bounds, pay_days)
        spent = func.sum(Expense.base_amount)
        grouped = (
            *ALERT_COLUMNS,
            bounds.c.tz,
            bounds.c.first,
            bounds.c.last,
            User.currency,
            User.pay_day,
        )
        query = (
            select(*grouped, spent.label("spent"))
            .join(User, User.id == Budget.user_id)
            .join(
                bounds,
                and_(
                    bounds.c.tz == User.timezone,
                    bounds.c.period == Budget.period,
                    pay_day_matches,
                ),
            )
            .join(Expense, personal_spending(bounds.c.first, bounds.c.last))
            # A household budget counts its household's spending: core/budgets/shared.py.
            .where(Budget.household_id.is_(None))
            .group_by(*grouped)
            # literal_column: a plain number, not bound through the Money type.
            .having(spent * literal_column("100") >= Budget.limit * literal_column(str(percent)))
        )
        return list((await self.session.execute(query)).all())

    async def goals_due(self, today_rows: list[tuple[str, date, date]]) -> list[Row[Any]]:
        """Unreached goals whose deadline is at most a week ahead (or already passed)."""
        if not today_rows:
            return []
        bounds = _table(
            "today", [("tz", String), ("today", Date), ("week_ahead", Date)], today_rows
        )
        query = (
            select(
                Goal.id,
                Goal.user_id,
                Goal.description,
                Goal.deadline,
                Goal.saved_amount,
                Goal.target_amount,
                User.currency,
                bounds.c.today,
            )
            .join(User, User.id == Goal.user_id)
            .join(bounds, bounds.c.tz == User.timezone)
            .where(Goal.saved_amount < Goal.target_amount, Goal.deadline <= bounds.c.week_ahead)
        )
        return list((await self.session.execute(query)).all())

    async def summary_totals(
        self,
        flag: str,
        due_rows: list[tuple[str, str, date, date, date, date]],
        model: type[Expense] | type[Income],
        pay_days: list[int] | None = None,
    ) -> list[Row[Any]]:
        """Per due user: (user id, currency, key, first, last, total, previous total).

        `due_rows`: (timezone, key, first, last, previous first, previous last); with
        `pay_days` (one per row) a row is for the users of that timezone and pay day.
        Users who opted out, or already have that summary, are left out.
        """
        columns = [
            ("tz", String),
            ("key", String),
            ("first", Date),
            ("last", Date),
            ("prev_first", Date),
            ("prev_last", Date),
        ]
        due = _table("due", *_with_pay_days(columns, due_rows, pay_days))
        base = model.base_amount  # sums in the user's base currency
        zero = literal(Decimal(0), base.type)
        in_period = and_(model.date >= due.c.first, model.date <= due.c.last)
        in_previous = and_(model.date >= due.c.prev_first, model.date <= due.c.prev_last)
        already = exists().where(
            Notification.user_id == User.id, Notification.dedupe_key == due.c.key
        )
        query = (
            select(
                User.id,
                User.currency,
                due.c.key,
                due.c.first,
                due.c.last,
                func.coalesce(func.sum(case((in_period, base))), zero).label("total"),
                func.coalesce(func.sum(case((in_previous, base))), zero).label("previous"),
            )
            .select_from(User)
            .join(due, and_(due.c.tz == User.timezone, _pay_day_matches(due, pay_days)))
            .outerjoin(
                model,
                and_(
                    model.user_id == User.id,
                    model.date >= due.c.prev_first,
                    model.date <= due.c.last,
                ),
            )
            .where(getattr(User, flag).is_(True), ~already)
            .group_by(User.id, User.currency, due.c.key, due.c.first, due.c.last)
        )
        return list((await self.session.execute(query)).all())

    async def category_totals(
        self,
        user_ids: list[int],
        period_rows: list[tuple[str, date, date]],
        pay_days: list[int] | None = None,
    ) -> list[tuple[int, str, Decimal]]:
        """(user id, category, total) over each user's period, largest first."""
        if not user_ids:
            return []
        columns = [("tz", String), ("first", Date), ("last", Date)]
        bounds = _table("span", *_with_pay_days(columns, period_rows, pay_days))
        key = func.lower(Expense.category)
        total = func.sum(Expense.base_amount)
        query = (
            select(Expense.user_id, func.min(Expense.category), total)
            .join(User, User.id == Expense.user_id)
            .join(bounds, and_(bounds.c.tz == User.timezone, _pay_day_matches(bounds, pay_days)))
            .where(
                Expense.user_id.in_(user_ids),
                Expense.date >= bounds.c.first,
                Expense.date <= bounds.c.last,
            )
            .group_by(Expense.user_id, key)
            .order_by(Expense.user_id, total.desc(), key)
        )
        return [(u, c, t) for u, c, t in (await self.session.execute(query)).all()]

    async def delete_login_failures_before(self, cutoff: datetime) -> int:
        result = await self.session.execute(delete(LoginFailure).where(LoginFailure.at < cutoff))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def delete_spent_password_resets(self, now: datetime) -> int:
        """Reset tokens used already, or past their expiry."""
        query = delete(PasswordReset).where(
            or_(PasswordReset.used_at.is_not(None), PasswordReset.expires_at < now)
        )
        result = await self.session.execute(query)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def delete_spent_link_codes(self, now: datetime) -> int:
        """Telegram link codes used already, or past their expiry."""
        query = delete(TelegramLinkCode).where(
            or_(TelegramLinkCode.used_at.is_not(None), TelegramLinkCode.expires_at < now)
        )
        result = await self.session.execute(query)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
