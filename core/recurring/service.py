"""Recurring entries: the five routes' rules, and posting what falls due.

Posting is set-based (a selection by the stored wake_on date, multi-row inserts), so
that a run over every user costs a few statements per batch of entries rather than a
few per entry. Each batch is one transaction: its entries (locked, SKIP LOCKED on
PostgreSQL, so two workers of one run, or two replicas, take different batches), the
occurrences claimed in recurring_postings (UNIQUE(recurring_id, date)), the expenses
and incomes written for the claimed ones, their budget alerts, the bill reminders and
the entries' new next_date / wake_on. A crash between batches leaves the committed
ones done and the rest due: the next run does those, and the unique key keeps every
occurrence once whatever runs twice.
"""

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from core.budgets.alerts import check_budgets_on_days
from core.crud import OwnedService
from core.currencies.service import convert_to_keep, ensure_rates_loaded
from core.db import Database
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
# Each entry costs the posting job and every forecast: a user holds at most this many.
MAX_RECURRING = 500
_DAY_PARTS = frozenset({"BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO"})


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
        await self._fill(session, user, entry, data)
        repository = RecurringRepository(session)
        if await repository.count_held(user.id) >= MAX_RECURRING:
            raise Invalid(
                f"you have {MAX_RECURRING} recurring entries, the most one person can hold: "
                "delete one to add another",
                field="recurring",
            )
        await repository.add(entry)
        return entry

    async def replace(
        self, session: AsyncSession, user: User, object_id: int, data: RecurringCreate
    ) -> RecurringEntry:
        entry = await self.get(session, user, object_id)
        await self._fill(session, user, entry, data)
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
        await self._fill(session, user, entry, merged)
        await self.repository(session).flush()
        return entry

    async def _fill(
        self, session: AsyncSession, user: User, entry: RecurringEntry, data: RecurringCreate
    ) -> None:
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
        if entry.currency != user.currency:
            # As an expense would be: a currency without a rate, or an amount too large
            # in the base, is refused now (422), not posted at par (or failing) later.
            await convert_to_keep(session, entry.amount, entry.currency, user.currency, today)
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
    occurrences: list[tuple[int, date]]
    reminders: list[tuple[int, int, date]]  # (entry id, user id, the day it is due)
    schedules: list[tuple[int, date | None, date | None, date | None]]
    # Base currency -> (users, first and last day) of occurrences in another currency.
    foreign: dict[str, tuple[set[int], date, date]]


def reminder_key(recurring_id: int, day: date) -> str:
    return f"bill:{recurring_id}:{day.isoformat()}"


def reminder_message(name: str, description: str, amount: Decimal, currency: str, day: date) -> str:
    what = description or name
    return f"Reminder: {what} ({amount:.2f} {currency}) is due on {day.day} {day:%b %Y}."


Memo = dict[tuple[Any, ...], tuple[list[date], date | None]]


@lru_cache(maxsize=4096)
def _sharing(rule: str) -> tuple[bool, bool]:
    """(whether entries with this rule may share answers, whether they take the day,
    month and weekday from their start). dateutil costs ~80 µs a question, too much for
    100,000 entries a run. A rule without COUNT and INTERVAL has the same occurrences
    whatever its start, but a rule without BY-day parts takes those from the start; so
    entries sharing them ask once (the start and the end bound are applied per entry)."""
    parts = parse_rule(rule).parts
    shared = "COUNT" not in parts and parts.get("INTERVAL", "1") == "1"
    return shared, _DAY_PARTS.isdisjoint(parts)


def _due_and_next(
    rule: str,
    start: date,
    end: date | None,
    next_date: date,
    today: date,
    memo: Memo,
) -> tuple[list[date], date | None]:
    """The occurrences from next_date through `today`, and the one after today."""
    shared, from_start = _sharing(rule)
    if not shared:
        schedule = compile_rule(rule, start, end)
        return schedule.occurrences(next_date, today), schedule.next_date(today + ONE_DAY)
    anchor = (start.month, start.day, start.weekday()) if from_start else ()
    key = (rule, next_date, today, *anchor)
    found = memo.get(key)
    if found is None:
        schedule = compile_rule(rule, start)
        found = (schedule.occurrences(next_date, today), schedule.next_date(today + ONE_DAY))
        memo[key] = found
    days, following = found
    if end is not None:
        days = [day for day in days if day <= end]
        if following is not None and following > end:
            following = None
    return days, following


def _plan(rows: list[Any], today_by_timezone: dict[str, date], memo: Memo) -> _Run:
    """What to post, remind and store for the selected rows: pure calendar work.
    `memo` holds the answers entries share (see _sharing), across a run's batches."""
    run = _Run([], [], [], {})
    for row in rows:
        # Unpacked once: a Row's attribute access costs more than the calendar here.
        (key, user_id, currency, rule, start, end, remind, next_date, reminded_for, timezone,
         base_currency) = row  # fmt: skip
        today = today_by_timezone[timezone]
        if next_date is not None and next_date <= today:
            # Catch-up: everything from the first unposted occurrence through today.
            days, next_date = _due_and_next(rule, start, end, next_date, today, memo)
            run.occurrences.extend((key, day) for day in days)
            if days and currency != base_currency:
                users, first, last = run.foreign.get(base_currency, (set(), days[0], days[-1]))
                users.add(user_id)
                run.foreign[base_currency] = (users, min(first, days[0]), max(last, days[-1]))
        if (
            remind
            and next_date is not None
            and reminded_for != next_date
            and next_date - timedelta(days=remind) <= today
        ):
            run.reminders.append((key, user_id, next_date))
            reminded_for = next_date
        run.schedules.append(
            (key, next_date, reminded_for, wake_on(next_date, remind, reminded_for))
        )
    return run


# Entries per transaction: a crash loses at most one batch's work, which the next run
# does again (the unique key keeps it once), and alerts and reminders commit with it.
BATCH = 10000
# Transactions at once on PostgreSQL (SKIP LOCKED gives each its own entries); SQLite
# has one writer.
WORKERS = 2


@dataclass
class _Posting:
    """One run of the job: its clock, each timezone's local today, shared answers."""

    now: datetime
    today_by_timezone: dict[str, date]
    batch: int
    memo: Memo


async def post_due(database: Database, now: datetime, batch: int = BATCH) -> int:
    """Post every occurrence due by each user's local today (catching up missed ones) and
    send the bill reminders due, in batches of entries, each its own transaction; how
    many entries and reminders were made."""
    async with database.session() as session:
        timezones = await JobsRepository(session).timezones()
    today_by_timezone = {tz: local_today(tz, now) for tz in timezones}
    if not today_by_timezone:
        return 0
    # The memo is shared by the workers: they run in one thread.
    posting = _Posting(now, today_by_timezone, batch, {})
    workers = 1 if database.is_sqlite else WORKERS
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(_post_batches(database, posting)) for _ in range(workers)]
    return sum(task.result() for task in tasks)


async def _post_batches(database: Database, posting: _Posting) -> int:
    made = 0
    after_id = 0  # by id: each batch starts past the last, so the loop ends
    while True:
        async with database.session() as session:
            repository = RecurringRepository(session)
            rows = await repository.due(posting.today_by_timezone, after_id, posting.batch)
            if not rows:
                return made
            after_id = rows[-1].id
            made += await _post_batch(session, repository, posting, rows)


async def _post_batch(
    session: AsyncSession, repository: RecurringRepository, posting: _Posting, rows: list[Any]
) -> int:
    run = _plan(rows, posting.today_by_timezone, posting.memo)
    posted, spent_on = await _record(repository, run)
    await check_budgets_on_days(session, spent_on, posting.now)
    reminded = await _remind(repository, run.reminders)
    await repository.set_schedules(run.schedules)
    return posted + reminded


async def _remind(repository: RecurringRepository, due: list[tuple[int, int, date]]) -> int:
    if not due:
        return 0
    entries = await repository.details({recurring_id for recurring_id, _, _ in due})
    reminders: list[dict[str, object]] = []
    for recurring_id, user_id, day in due:
        entry = entries[recurring_id]
        message = reminder_message(entry.name, entry.description, entry.amount, entry.currency, day)
        reminders.append(
            {
                "user_id": user_id,
                "kind": "bill",
                "message": message,
                "dedupe_key": reminder_key(recurring_id, day),
            }
        )
    return await notify_many(repository.session, reminders)


async def _record(repository: RecurringRepository, run: _Run) -> tuple[int, set[tuple[int, date]]]:
    """Claim the occurrences and write an expense or income for each one claimed; how
    many, and the (budget id, date) pairs of the budgets the expenses count in."""
    created_at = utcnow()
    if repository.posts_in_one_statement:
        posted, spent_on = await repository.claim_and_post(run.occurrences, created_at)
    else:
        claimed = await repository.claim(run.occurrences)
        entries = await repository.details({recurring_id for recurring_id, _ in claimed})
        expenses: list[dict[str, Any]] = []
        incomes: list[dict[str, Any]] = []
        spent: set[tuple[int, str, date]] = set()
        for recurring_id, day in run.occurrences:
            if (recurring_id, day) not in claimed:
                continue  # another run recorded it
            entry = entries[recurring_id]
            user_id = entry.user_id
            values = {
                "user_id": user_id,
                "amount": entry.amount,
                "currency": entry.currency,
                "base_amount": entry.amount,  # at par here; repriced below if foreign
                "rate_date": day,
                "date": day,
                "description": entry.description,
                "created_at": created_at,
            }
            if entry.kind == "expense":
                expenses.append({**values, "category": entry.name})
                spent.add((user_id, entry.name.lower(), day))
            else:
                incomes.append({**values, "source": entry.name})
        await repository.insert_entries(expenses, incomes)
        posted, spent_on = len(claimed), await repository.budgets_spent_in(spent)
    if run.foreign:
        await ensure_rates_loaded(repository.session)  # zero-config, as entries do
        await repository.reprice_foreign(created_at, run.foreign)
    return posted, spent_on
