"""Safe-to-spend and forecast for one user: the pure maths of core/planning fed from
the database, recurring amounts in the user's base currency.

The calendar work (every occurrence of up to MAX_RECURRING entries over up to 366
days) runs in a worker thread, never on the event loop (review L7)."""

import asyncio
from collections.abc import Collection
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from core.currencies.codes import minor_unit
from core.currencies.repository import convert_amount
from core.currencies.service import cross_rate
from core.models import RecurringEntry, User
from core.periods import local_today
from core.planning.forecast import Due, RecurringItem, due_between, forecast
from core.planning.periods import period_containing
from core.planning.safe_to_spend import SafeToSpend, safe_to_spend
from core.planning.schemas import ForecastDayOut, ForecastEntry, ForecastOut, SafeToSpendOut
from core.recurring.repository import PlanningRepository, RecurringRepository
from core.reports.repository import ReportRepository


async def _items(
    session: AsyncSession, user: User, entries: list[RecurringEntry], today: date
) -> list[RecurringItem]:
    """Live entries as planning items, each amount in the user's base currency (at
    today's rate: the future has no rate yet; read once per currency)."""
    items = []
    rates: dict[str, tuple[Decimal, Decimal]] = {}
    for entry in entries:
        if entry.next_date is None:
            continue  # over
        amount = entry.amount
        if entry.currency != user.currency:
            if entry.currency not in rates:
                found = await cross_rate(session, entry.currency, user.currency, today)
                rates[entry.currency] = found[:2]
            from_rate, to_rate = rates[entry.currency]
            amount = convert_amount(amount, from_rate, to_rate, minor_unit(user.currency))
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
    asked = [
        (await _items(session, user, entries.get(user.id, []), today[user.id]), today[user.id])
        for user in users
    ]
    ends = [period[user.id][1] for user in users]
    still_due = await asyncio.to_thread(_all_due, asked, ends, recorded)
    answer = {}
    for user, due in zip(users, still_due, strict=True):
        income, spent = totals[user.id]
        answer[user.id] = safe_to_spend(
            today=today[user.id],
            period=period[user.id],
            income=income,
            spent=spent,
            still_due=due,
            currency=user.currency,
        )
    return answer


def _all_due(
    asked: list[tuple[list[RecurringItem], date]],
    ends: list[date],
    recorded: Collection[tuple[int, date]],
) -> list[list[Due]]:
    """due_between for many users at once (one trip to a worker thread)."""
    return [
        due_between(items, first, last, recorded)
        for (items, first), last in zip(asked, ends, strict=True)
    ]


async def safe_to_spend_now(
    session: AsyncSession, user: User, today: date | None = None
) -> SafeToSpend:
    today = today or local_today(user.timezone)
    period = period_containing(today, user.pay_day)
    repository = RecurringRepository(session)
    entries = await repository.all_for_user(user.id)
    items = await _items(session, user, entries, today)
    recorded = await repository.recorded([item.id for item in items], today, period[1])
    still_due = await asyncio.to_thread(due_between, items, today, period[1], recorded)
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
    items, today, recorded = await _forecast_inputs(session, user, days, today)
    return await asyncio.to_thread(_forecast_out, items, today, days, recorded, user.currency)


async def forecast_days_json(
    session: AsyncSession, user: User, days: int, today: date | None = None
) -> bytes:
    """forecast_days as its JSON answer, serialised in the worker thread as well: 500
    daily entries over 366 days are 183,000 entries (15 MB), too many to encode on the
    loop. For a route that sends it as it is (api/crud.py's json_answer)."""
    items, today, recorded = await _forecast_inputs(session, user, days, today)

    def build() -> bytes:
        return _forecast_out(items, today, days, recorded, user.currency).model_dump_json().encode()

    return await asyncio.to_thread(build)


async def _forecast_inputs(
    session: AsyncSession, user: User, days: int, today: date | None
) -> tuple[list[RecurringItem], date, Collection[tuple[int, date]]]:
    today = today or local_today(user.timezone)
    repository = RecurringRepository(session)
    items = await _items(session, user, await repository.all_for_user(user.id), today)
    last = today + timedelta(days=max(days, 1) - 1)
    recorded = await repository.recorded([item.id for item in items], today, last)
    return items, today, recorded


def _forecast_out(
    items: list[RecurringItem],
    today: date,
    days: int,
    recorded: Collection[tuple[int, date]],
    currency: str,
) -> ForecastOut:
    """The forecast and its answer, built in a worker thread (both cost per occurrence)."""
    answer = forecast(items, today, days, recorded=recorded)
    return ForecastOut(
        currency=currency,
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
