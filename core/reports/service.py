from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from core.currencies.service import read_priced
from core.exceptions import NotFound
from core.households.repository import HouseholdRepository
from core.households.service import get_household, member_ids
from core.models import Household, User
from core.periods import check_span, local_today, period_range
from core.reports.repository import ReportRepository
from core.reports.schemas import CategoryTotal, HouseholdSummary, MemberTotal, Summary, TagTotal
from core.tags.repository import TagRepository


def _span(user: User, date_from: date | None, date_to: date | None) -> tuple[date, date]:
    today = local_today(user.timezone)
    if date_from is None and date_to is None:
        start, end = period_range("monthly", today)
    else:
        start = date_from or period_range("monthly", date_to or today)[0]
        end = date_to or max(start, today)
    check_span(start, end)
    return start, end


async def summary(
    session: AsyncSession, user: User, date_from: date | None, date_to: date | None
) -> Summary:
    """Income, spending and net over [from, to], both inclusive.

    Neither bound: the current calendar month. Only `from`: up to today. Only
    `to`: from the first of that month.
    """
    start, end = _span(user, date_from, date_to)
    repository = ReportRepository(session)
    income, spent = await repository.totals(user.id, start, end)
    by_category = await repository.expenses_by_category(user.id, start, end)
    by_tag = await TagRepository(session).spending_by_tag(user.id, start, end)
    return Summary(
        date_from=start,
        date_to=end,
        currency=user.currency,
        total_income=income,
        total_expenses=spent,
        net=income - spent,
        by_category=[CategoryTotal(category=c, total=t) for c, t in by_category],
        by_tag=[TagTotal(tag=tag, total=t) for tag, t in by_tag],
    )


async def summary_of_user(
    session: AsyncSession, user_id: int, date_from: date, date_to: date
) -> tuple[Summary, str]:
    """The summary over [from, to] of the user with that id, and their currency
    (for a sender that holds a notification, not a user)."""
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("user")
    return await summary(session, user, date_from, date_to), user.currency


async def _household_totals(
    session: AsyncSession, user: User, household: Household, start: date, end: date
) -> tuple[list[Row[Any]], Decimal]:
    """The shared spending rows and the income total, every entry in the household's
    currency (else a 422 naming `currency`, as in balances)."""
    repository = ReportRepository(session)

    async def read() -> tuple[list[Row[Any]], Row[Any]]:
        args = (user.id, household.id, start, end, household.currency)
        return (
            await repository.household_spending(*args),
            await repository.household_income(*args),
        )

    rows, income = await read_priced(
        session,
        read,
        lambda read: bool(read[1].unpriced or any(row.unpriced for row in read[0])),
        household.currency,
    )
    return rows, income.total if income.total is not None else Decimal(0)


async def household_summary(
    session: AsyncSession,
    user: User,
    household_id: int,
    date_from: date | None,
    date_to: date | None,
) -> HouseholdSummary:
    """`summary` over the household's shared entries (the same span rules, in the
    viewer's time), in the household's currency, with each member's spending."""
    household = await get_household(session, user.id, household_id)
    start, end = _span(user, date_from, date_to)
    currency = household.currency
    rows, income = await _household_totals(session, user, household, start, end)
    by_category: dict[str, tuple[str, Decimal]] = {}
    by_member: dict[int, Decimal] = {}
    for row in rows:
        key = row.category.lower()
        shown_name, total = by_category.get(key, (row.category, Decimal(0)))
        by_category[key] = (min(shown_name, row.category), total + row.total)
        by_member[row.user_id] = by_member.get(row.user_id, Decimal(0)) + row.total
    names = await HouseholdRepository(session).usernames(
        sorted({*by_member, *await member_ids(session, household.id)})
    )
    for member in names:
        by_member.setdefault(member, Decimal(0))
    spent = sum(by_member.values(), Decimal(0))
    categories = sorted(by_category.values(), key=lambda c: (-c[1], c[0].lower()))
    members = sorted(by_member.items(), key=lambda m: (-m[1], m[0]))
    return HouseholdSummary(
        household_id=household.id,
        date_from=start,
        date_to=end,
        currency=currency,
        total_income=income,
        total_expenses=spent,
        net=income - spent,
        by_category=[CategoryTotal(category=c, total=t) for c, t in categories],
        by_member=[
            MemberTotal(user_id=user_id, username=names.get(user_id, ""), total=total)
            for user_id, total in members
        ],
    )
