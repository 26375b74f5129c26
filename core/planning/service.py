"""Safe-to-spend and forecast for one user: the pure maths of core/planning fed from
the database, recurring amounts in the user's base currency."""

from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.currencies.service import convert
from core.models import RecurringEntry, User
from core.periods import local_today
from core.planning.forecast import RecurringItem, due_between, forecast
from core.planning.periods import period_containing
from core.planning.safe_to_spend import SafeToSpend, safe_to_spend
from core.planning.schemas import ForecastDayOut, ForecastEntry, ForecastOut, SafeToSpendOut
from core.recurring.repository import PlanningRepository, RecurringRepository
from core.reports.repository import ReportRepository


async def _items(
    session: AsyncSession, user: User, entries: list[RecurringEntry], today: date
) -> list[RecurringItem]:
    """Live entries as planning items, each amount in the user's base currency (at
    today's rate: the future has no rate yet)."""
    items = []
    for entry in entries:
        if entry.next_date is None:
            continue  # over
        amount = entry.amount
        if entry.currency != user.currency:
            amount = (await convert(session, amount, entry.currency, user.currency, today)).amount
        items.append(
            RecurringItem(
                id=entry.id,
                kind="expense" if entry.kind == "expense" else "income",
                amount=amount,
                rrule=entry.rrule,
                start=entry.start,
                end=entry.end,
                description=entry.description or entry.name,
            )
        )
    return items


async def safe_to_spend_for(
    session: AsyncSession, user_ids: list[int], now: datetime
) -> dict[int, SafeToSpend]:
    """Safe-to-spend of many users at once (the weekly summary): a few queries in all."""
    planning = PlanningRepository(session)
    users = await planning.users(user_ids)
    today = {user.id: local_today(user.timezone, now) for user in users}
    period = {user.id: period_containing(today[user.id], user.pay_day) for user in users}
    totals = await planning.totals({u.id: (period[u.id][0], today[u.id]) for u in users})
    last = max((end for _, end in period.values()), default=None)
    entries: dict[int, list[RecurringEntry]] = {}
    if last is not None:
        for entry in await planning.live_entries([user.id for user in users], last):
            entries.setdefault(entry.user_id, []).append(entry)
    recorded = await RecurringRepository(session).recorded(
        [entry.id for found in entries.values() for entry in found],
        min(today.values(), default=date.min),
        last or date.min,
    )
    answer = {}
    for user in users:
        first, end = period[user.id]
        items = await _items(session, user, entries.get(user.id, []), today[user.id])
        income, spent = totals[user.id]
        answer[user.id] = safe_to_spend(
            today=today[user.id],
            period=(first, end),
            income=income,
            spent=spent,
            still_due=due_between(items, today[user.id], end, recorded),
            currency=user.currency,
        )
    return answer


async def safe_to_spend_now(
    session: AsyncSession, user: User, today: date | None = None
) -> SafeToSpend:
    today = today or local_today(user.timezone)
    period = period_containing(today, user.pay_day)
    repository = RecurringRepository(session)
    entries = await repository.all_for_user(user.id)
    items = await _items(session, user, entries, today)
    recorded = await repository.recorded([item.id for item in items], today, period[1])
    still_due = due_between(items, today, period[1], recorded)
    income, spent = await ReportRepository(session).totals(user.id, period[0], today)
    return safe_to_spend(
        today=today,
        period=period,
        income=income,
        spent=spent,
        still_due=still_due,
        currency=user.currency,
    )


def safe_to_spend_out(figure: SafeToSpend) -> SafeToSpendOut:
    return SafeToSpendOut(
        period_start=figure.period_start,
        period_end=figure.period_end,
        currency=figure.currency,
        income=figure.income,
        expected_income=figure.expected_income,
        spent=figure.spent,
        committed=figure.committed,
        left=figure.left,
        days_left=figure.days_left,
        per_day=figure.per_day,
    )


async def forecast_days(
    session: AsyncSession, user: User, days: int, today: date | None = None
) -> ForecastOut:
    today = today or local_today(user.timezone)
    repository = RecurringRepository(session)
    items = await _items(session, user, await repository.all_for_user(user.id), today)
    last = today + timedelta(days=max(days, 1) - 1)
    recorded = await repository.recorded([item.id for item in items], today, last)
    answer = forecast(items, today, days, recorded=recorded)
    return ForecastOut(
        currency=user.currency,
        days=[
            ForecastDayOut(
                date=day.date,
                entries=[
                    ForecastEntry(
                        recurring_id=due.recurring_id,
                        kind=due.kind,
                        amount=due.amount,
                        description=due.description,
                    )
                    for due in day.entries
                ],
                income=day.income,
                expenses=day.expenses,
                running_income=day.running_income,
                running_expenses=day.running_expenses,
                balance=day.balance,
            )
            for day in answer
        ],
    )
