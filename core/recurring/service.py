"""Recurring entries: the five routes' rules, and posting what falls due.

Posting is set-based (one selection by the stored wake_on date, multi-row inserts), so
that a run over every user costs a few statements rather than one per entry. Each
occurrence is claimed in recurring_postings (UNIQUE(recurring_id, date)) before its
expense or income is written, in the same transaction: two replicas, a rerun or a
restart half-way record it once.
"""

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from core.budgets.alerts import check_category
from core.budgets.alerts import sweep as budget_sweep
from core.crud import OwnedService
from core.exceptions import Invalid
from core.jobs.repository import JobsRepository
from core.models import RecurringEntry, User
from core.models.base import utcnow
from core.notifications.service import notify_many
from core.periods import local_today
from core.recurring.repository import RecurringRepository
from core.recurring.schedule import compile_rule, parse_rule, validate
from core.recurring.schemas import RecurringCreate, RecurringOut

ONE_DAY = timedelta(days=1)
_DAY_PARTS = frozenset({"BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO"})
# Above this many (user, category) pairs one set-based sweep beats a check per pair.
PER_CATEGORY_CHECKS = 50


def wake_on(
    next_date: date | None, remind_days: int | None, reminded_for: date | None
) -> date | None:
    """The local day the job next has work on this entry: its reminder, else its posting."""
    if next_date is None:
        return None
    if remind_days and reminded_for != next_date:
        return next_date - timedelta(days=remind_days)
    return next_date


def recurring_out(entry: RecurringEntry) -> RecurringOut:
    return RecurringOut(
        id=entry.id,
        user_id=entry.user_id,
        kind=entry.kind,
        category=entry.name if entry.kind == "expense" else None,
        source=entry.name if entry.kind == "income" else None,
        amount=entry.amount,
        currency=entry.currency,
        description=entry.description,
        rrule=entry.rrule,
        start=entry.start,
        end=entry.end,
        remind_days_before=entry.remind_days_before,
        next_date=entry.next_date,
    )


class RecurringService(OwnedService[RecurringEntry, RecurringCreate]):
    name = "recurring entry"
    repository_class = RecurringRepository
    create_schema = RecurringCreate
    out_schema = RecurringOut

    async def present(
        self, session: AsyncSession, user: User, objects: list[RecurringEntry]
    ) -> list[BaseModel]:
        return [recurring_out(entry) for entry in objects]

    async def create(
        self, session: AsyncSession, user: User, data: RecurringCreate
    ) -> RecurringEntry:
        entry = RecurringEntry(user_id=user.id)
        await self._fill(user, entry, data)
        await self.repository(session).add(entry)
        return entry

    async def replace(
        self, session: AsyncSession, user: User, object_id: int, data: RecurringCreate
    ) -> RecurringEntry:
        entry = await self.get(session, user, object_id)
        await self._fill(user, entry, data)
        await self.repository(session).flush()
        return entry

    async def update(
        self, session: AsyncSession, user: User, object_id: int, changes: BaseModel
    ) -> RecurringEntry:
        entry = await self.get(session, user, object_id)
        current: dict[str, Any] = {
            "kind": entry.kind,
            "category" if entry.kind == "expense" else "source": entry.name,
            "amount": entry.amount,
            "currency": entry.currency,
            "description": entry.description,
            "rrule": entry.rrule,
            "start": entry.start,
            "end": entry.end,
            "remind_days_before": entry.remind_days_before,
        }
        merged = RecurringCreate.model_validate(
            {**current, **changes.model_dump(exclude_unset=True)}
        )
        await self._fill(user, entry, merged)
        await self.repository(session).flush()
        return entry

    async def _fill(self, user: User, entry: RecurringEntry, data: RecurringCreate) -> None:
        name = data.category if data.kind == "expense" else data.source
        if name is None:
            field = "category" if data.kind == "expense" else "source"
            raise Invalid(f"{field} is required for a recurring {data.kind}", field=field)
        today = local_today(user.timezone)
        start = data.start or today
        # validate() may walk a calendar for a rule that never occurs: off the loop.
        rule = await asyncio.to_thread(validate, data.rrule, start, data.end)
        changed = (rule, start, data.end) != (entry.rrule, entry.start, entry.end)
        entry.kind = data.kind
        entry.name = name
        entry.amount = data.amount
        entry.currency = data.currency or user.currency
        entry.description = data.description
        entry.rrule, entry.start, entry.end = rule, start, data.end
        entry.remind_days_before = data.remind_days_before or None
        if changed or entry.next_date is None:
            # From today on: a new or changed rule does not post its past.
            entry.next_date = compile_rule(rule, start, data.end).next_date(today)
        entry.wake_on = wake_on(entry.next_date, entry.remind_days_before, entry.reminded_for)

    async def all_for_user(self, session: AsyncSession, user: User) -> list[RecurringEntry]:
        return await RecurringRepository(session).all_for_user(user.id)


recurring = RecurringService()


@dataclass
class _Run:
    expenses: list[dict[str, Any]]
    incomes: list[dict[str, Any]]
    reminders: list[dict[str, object]]
    schedules: list[dict[str, Any]]
    occurrences: list[tuple[int, date]]


def reminder_key(recurring_id: int, day: date) -> str:
    return f"bill:{recurring_id}:{day.isoformat()}"


def reminder_message(name: str, description: str, amount: Decimal, currency: str, day: date) -> str:
    what = description or name
    return f"Reminder: {what} ({amount:.2f} {currency}) is due on {day.day} {day:%b %Y}."


def _due_and_next(
    row: Any, today: date, memo: dict[tuple[Any, ...], Any]
) -> tuple[list[date], date | None]:
    """The occurrences from row.next_date through `today`, and the one after today.

    dateutil costs ~80 µs a question, too much for 100,000 entries a run. A rule
    without COUNT and INTERVAL has the same occurrences whatever its start, but for the
    day, month and weekday a rule without BY-day parts takes from the start; so entries
    sharing those ask once (the start and the end bound are applied per entry).
    """
    parts = parse_rule(row.rrule).parts
    shared = "COUNT" not in parts and parts.get("INTERVAL", "1") == "1"
    start: date = row.start
    # Only rules without BY-day parts take anything from the start.
    anchor = (start.month, start.day, start.weekday()) if _DAY_PARTS.isdisjoint(parts) else ()
    key = (row.rrule, row.next_date, today, *anchor)
    if not shared or key not in memo:
        schedule = compile_rule(row.rrule, start, None if shared else row.end)
        found = (schedule.occurrences(row.next_date, today), schedule.next_date(today + ONE_DAY))
        if not shared:
            return found
        memo[key] = found
    days, following = memo[key]
    if row.end is not None:
        days = [day for day in days if day <= row.end]
        if following is not None and following > row.end:
            following = None
    return days, following


def _plan(
    rows: list[Any], today_by_timezone: dict[str, date]
) -> tuple[_Run, dict[tuple[int, date], Any]]:
    """What to post, remind and store for the selected rows: pure calendar work."""
    run = _Run([], [], [], [], [])
    rows_by_occurrence: dict[tuple[int, date], Any] = {}
    memo: dict[tuple[Any, ...], Any] = {}
    for row in rows:
        today = today_by_timezone[row.timezone]
        next_date, reminded_for = row.next_date, row.reminded_for
        if next_date is not None and next_date <= today:
            # Catch-up: everything from the first unposted occurrence through today.
            days, next_date = _due_and_next(row, today, memo)
            for day in days:
                run.occurrences.append((row.id, day))
                rows_by_occurrence[(row.id, day)] = row
        remind = row.remind_days_before
        if (
            remind
            and next_date is not None
            and reminded_for != next_date
            and next_date - timedelta(days=remind) <= today
        ):
            run.reminders.append(
                {
                    "user_id": row.user_id,
                    "kind": "bill",
                    "message": reminder_message(
                        row.name, row.description, row.amount, row.currency, next_date
                    ),
                    "dedupe_key": reminder_key(row.id, next_date),
                }
            )
            reminded_for = next_date
        run.schedules.append(
            {
                "key": row.id,
                "next_date": next_date,
                "reminded_for": reminded_for,
                "wake_on": wake_on(next_date, remind, reminded_for),
            }
        )
    return run, rows_by_occurrence


async def post_due(session: AsyncSession, now: datetime) -> int:
    """Post every occurrence due by each user's local today (catching up missed ones) and
    send the bill reminders due; how many entries and reminders were made."""
    repository = RecurringRepository(session)
    today_by_timezone = {
        tz: local_today(tz, now) for tz in await JobsRepository(session).timezones()
    }
    rows = await repository.due(today_by_timezone)
    if not rows:
        return 0
    run, rows_by_occurrence = _plan(rows, today_by_timezone)
    posted, touched = await _record(repository, run, rows_by_occurrence)
    await _alert_budgets(session, repository, touched, now)
    reminded = await notify_many(session, run.reminders)
    await repository.set_schedules(run.schedules)
    return posted + reminded


async def _record(
    repository: RecurringRepository, run: _Run, rows_by_occurrence: dict[tuple[int, date], Any]
) -> tuple[int, set[tuple[int, str]]]:
    """Claim the occurrences and write an expense or income for each one claimed; how
    many, and the (user, lower-cased category) pairs spent in."""
    created_at = utcnow()
    if repository.posts_in_one_statement:
        posted = await repository.claim_and_post(run.occurrences, created_at)
        await repository.reprice_foreign(created_at)
        return posted
    claimed = await repository.claim(run.occurrences)
    touched: set[tuple[int, str]] = set()
    for recurring_id, day in run.occurrences:
        if (recurring_id, day) not in claimed:
            continue  # another run recorded it
        row = rows_by_occurrence[(recurring_id, day)]
        values = {
            "user_id": row.user_id,
            "amount": row.amount,
            "currency": row.currency,
            "base_amount": row.amount,  # at par here; reprice_foreign converts the others
            "rate_date": day,
            "date": day,
            "description": row.description,
            "created_at": created_at,
        }
        if row.kind == "expense":
            run.expenses.append({**values, "category": row.name})
            touched.add((row.user_id, row.name.lower()))
        else:
            run.incomes.append({**values, "source": row.name})
    await repository.insert_entries(run.expenses, run.incomes)
    await repository.reprice_foreign(created_at)
    return len(claimed), touched


async def _alert_budgets(
    session: AsyncSession,
    repository: RecurringRepository,
    touched: set[tuple[int, str]],
    now: datetime,
) -> None:
    """The expense service's budget alerts for the categories posted to that have a
    budget: per category when they are few, else the budget sweep's one set-based pass
    (the same thresholds and once-per-period keys)."""
    if len(touched) > PER_CATEGORY_CHECKS:
        await budget_sweep(session, now)
        return
    watched = await repository.watched(touched)
    if not watched:
        return
    users = {user.id: user for user in await repository.users(sorted({u for u, _ in watched}))}
    for user_id, category in sorted(watched):
        await check_category(session, users[user_id], category)
