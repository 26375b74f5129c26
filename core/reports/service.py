from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from core.exceptions import NotFound
from core.models import User
from core.periods import check_span, local_today, period_range
from core.reports.repository import ReportRepository
from core.reports.schemas import CategoryTotal, Summary, TagTotal
from core.tags.repository import TagRepository


async def summary(
    session: AsyncSession, user: User, date_from: date | None, date_to: date | None
) -> Summary:
    """Income, spending and net over [from, to], both inclusive.

    Neither bound: the current calendar month. Only `from`: up to today. Only
    `to`: from the first of that month.
    """
    today = local_today(user.timezone)
    if date_from is None and date_to is None:
        start, end = period_range("monthly", today)
    else:
        start = date_from or period_range("monthly", date_to or today)[0]
        end = date_to or max(start, today)
    check_span(start, end)
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
