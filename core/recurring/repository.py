"""Queries of recurring entries, set-based for the posting job."""

import logging
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    Date,
    Row,
    Table,
    and_,
    bindparam,
    case,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from core.crud import OwnedRepository, insert_for
from core.currencies.repository import convert_column, currency_without_rate, ids_too_large
from core.models import Budget, Expense, Income, RecurringEntry, RecurringPosting, User
from core.models.base import utcnow

# What planning needs, no more: decoding 100,000 amounts costs more than the calendar.
_DUE_COLUMNS = (
    RecurringEntry.id,
    RecurringEntry.user_id,
    RecurringEntry.currency,
    RecurringEntry.rrule,
    RecurringEntry.start,
    RecurringEntry.end,
    RecurringEntry.remind_days_before,
    RecurringEntry.next_date,
    RecurringEntry.reminded_for,
    User.timezone,
    User.currency.label("base_currency"),
)
_BATCH = 5000  # rows per multi-row statement: bounded memory and parameter counts
log = logging.getLogger("finbot.recurring")


async def hold_owner(session: AsyncSession, user_id: int, resource: str) -> None:
    """Until the transaction ends, no other one adds `resource` rows for this user, so
    a count then taken stays true until the insert (the per-user caps).

    PostgreSQL: a transaction-scoped advisory lock of (resource, user). SQLite: the
    first write of a transaction holds the database's one write lock (core/db.py), so
    a write that changes nothing takes it.
    """
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
            {"key": f"{resource}:{user_id}"},
        )
        return
    nothing = update(User).where(User.id == user_id).values(id=User.id)
    await session.execute(nothing.execution_options(synchronize_session=False))


class RecurringRepository(OwnedRepository[RecurringEntry]):
    model = RecurringEntry

    async def count_held(self, user_id: int) -> int:
        """The user's recurring entries, none added by others until this transaction ends."""
        await hold_owner(self.session, user_id, "recurring")
        return await self.count(user_id, [])

    async def all_for_user(self, user_id: int) -> list[RecurringEntry]:
        query = (
            select(RecurringEntry)
            .where(RecurringEntry.user_id == user_id)
            .order_by(RecurringEntry.id)
        )
        return list((await self.session.execute(query)).scalars())

    async def due(
        self, today_by_timezone: dict[str, date], after_id: int = 0, limit: int | None = None
    ) -> list[Row[Any]]:
        """Entries with something to do (post or remind) on or before their user's local
        today, by id from after `after_id` on, at most `limit`. On PostgreSQL the rows
        are locked and rows another transaction holds are skipped, so workers and
        replicas share the work instead of queueing on it."""
        if not today_by_timezone:
            return []
        local_today = case(
            {tz: literal(day, Date()) for tz, day in today_by_timezone.items()},
            value=User.timezone,
        )
        query = (
            select(*_DUE_COLUMNS)
            .join(User, User.id == RecurringEntry.user_id)
            .where(
                # The plain bound lets the wake_on index narrow the scan first.
                RecurringEntry.wake_on <= max(today_by_timezone.values()),
                RecurringEntry.wake_on <= local_today,
                RecurringEntry.id > after_id,
            )
            .order_by(RecurringEntry.id)
            .limit(limit)
        )
        if self._dialect == "postgresql":
            query = query.with_for_update(of=RecurringEntry, skip_locked=True)
        result: Any = await self.session.execute(query)
        return list(result.all())

    async def details(self, ids: set[int]) -> dict[int, Row[Any]]:
        """id -> (user_id, kind, name, amount, currency, description) of these entries."""
        columns = (
            RecurringEntry.id,
            RecurringEntry.user_id,
            RecurringEntry.kind,
            RecurringEntry.name,
            RecurringEntry.amount,
            RecurringEntry.currency,
            RecurringEntry.description,
        )
        ordered = sorted(ids)
        found: dict[int, Row[Any]] = {}
        for first in range(0, len(ordered), _BATCH):
            chunk = ordered[first : first + _BATCH]
            query = select(*columns).where(RecurringEntry.id.in_(chunk))
            result: Any = await self.session.execute(query)
            found.update((row.id, row) for row in result)
        return found

    async def claim(self, occurrences: list[tuple[int, date]]) -> set[tuple[int, date]]:
        """Record these (recurring_id, date) occurrences; answers those that were new.

        The unique key decides: an occurrence another run recorded is not answered."""
        created_at = utcnow()
        claimed: set[tuple[int, date]] = set()
        for first in range(0, len(occurrences), _BATCH):
            batch = occurrences[first : first + _BATCH]
            rows = [{"recurring_id": r, "date": d, "created_at": created_at} for r, d in batch]
            # One statement, many rows (SQLAlchemy's insertmanyvalues), compiled once.
            result = await self.session.execute(_claim_query(self.session), rows)
            claimed.update((r.recurring_id, r.date) for r in result)
        return claimed

    @property
    def posts_in_one_statement(self) -> bool:
        return self._dialect == "postgresql"

    async def claim_and_post(
        self, occurrences: list[tuple[int, date]], created_at: datetime
    ) -> tuple[int, set[tuple[int, date]]]:
        """PostgreSQL: claim the occurrences and write their expenses and incomes in one
        statement per batch, copying amount, category and description inside the
        database; answers how many were claimed and the (budget id, date) pairs of the
        budgets the new expenses count in."""
        claimed = 0
        spent_on: set[tuple[int, date]] = set()
        for first in range(0, len(occurrences), _BATCH):
            batch = occurrences[first : first + _BATCH]
            params = {
                "ids": [recurring_id for recurring_id, _ in batch],
                "dates": [day for _, day in batch],
                "at": created_at,
            }
            for budget_id, day, count in await self.session.execute(_PG_POST, params):
                if count is not None:
                    claimed += count
                else:
                    spent_on.add((budget_id, day))
        return claimed, spent_on

    async def reprice_foreign(
        self, created_at: datetime, foreign: dict[str, tuple[set[int], date, date]]
    ) -> None:
        """Entries just posted (at `created_at`) in another currency than their user's
        base are written at par; re-express them at their dates' rates, one UPDATE per
        table and base currency. `foreign`: base currency -> (its users, first and last
        day posted). A currency without any rate stays at par (logged): the job must
        not stop for every user over one entry."""
        for model in (Expense, Income):
            table = cast(Table, model.__table__)
            for base, (user_ids, first, last) in foreign.items():
                where = and_(
                    table.c.user_id.in_(sorted(user_ids)),
                    table.c.date >= first,  # the (user_id, date) index narrows it
                    table.c.date <= last,
                    table.c.created_at == created_at,
                    table.c.currency != base,
                )
                columns: dict[str, Any] = {"currency": table.c.currency, "day": table.c.date}
                while missing := await currency_without_rate(
                    self.session, **columns, base_currency=base, where=where
                ):
                    log.warning("no rate for %s: recurring entries stay at par", missing)
                    where = and_(where, table.c.currency != missing)
                # Checked when the entry was made, at that day's rate: a rate moved since
                # may take it past what an amount holds.
                if too_large := await ids_too_large(
                    self.session,
                    table,
                    amount=table.c.amount,
                    base_currency=base,
                    where=where,
                    **columns,
                ):
                    log.warning(
                        "%d recurring entries too large in %s stay at par", len(too_large), base
                    )
                    where = and_(where, table.c.id.not_in(too_large))
                await convert_column(
                    self.session,
                    table,
                    **columns,
                    amount=table.c.amount,
                    base=table.c.base_amount,
                    rate_date=table.c.rate_date,
                    base_currency=base,
                    where=where,
                )

    async def insert_entries(
        self, expenses: list[dict[str, Any]], incomes: list[dict[str, Any]]
    ) -> None:
        """Many expenses and incomes (dicts of their columns) in few statements."""
        for model, rows in ((Expense, expenses), (Income, incomes)):
            table = cast(Table, model.__table__)
            for first in range(0, len(rows), _BATCH):
                await self.session.execute(insert(table), rows[first : first + _BATCH])

    async def set_schedules(self, schedules: list[tuple[int, Any, Any, Any]]) -> None:
        """Store (id, next_date, reminded_for, wake_on) of many entries."""
        table = cast(Table, RecurringEntry.__table__)
        for first in range(0, len(schedules), _BATCH):
            batch = schedules[first : first + _BATCH]
            if self._dialect == "postgresql":
                ids, next_dates, reminded, wake = zip(*batch, strict=True)
                params = {"ids": ids, "next": next_dates, "reminded": reminded, "wake": wake}
                await self.session.execute(_PG_SET_SCHEDULES, params)
                continue
            query = (
                update(table)
                .where(table.c.id == bindparam("key"))
                .values(
                    next_date=bindparam("next_date"),
                    reminded_for=bindparam("reminded_for"),
                    wake_on=bindparam("wake_on"),
                )
            )
            rows = [
                {"key": key, "next_date": n, "reminded_for": r, "wake_on": w}
                for key, n, r, w in batch
            ]
            await self.session.execute(query, rows)

    async def budgets_spent_in(self, spent: set[tuple[int, str, date]]) -> set[tuple[int, date]]:
        """(budget id, date) for each (user, lower-cased category, date) spent in that a
        personal budget of that user watches (postings are personal, never shared)."""
        if not spent:
            return set()
        user_ids = sorted({user_id for user_id, _, _ in spent})
        watching: dict[tuple[int, str], list[int]] = {}
        for first in range(0, len(user_ids), _BATCH):
            query = select(Budget.id, Budget.user_id, func.lower(Budget.category)).where(
                Budget.user_id.in_(user_ids[first : first + _BATCH]),
                Budget.household_id.is_(None),
            )
            for budget_id, user_id, category in await self.session.execute(query):
                watching.setdefault((user_id, category), []).append(budget_id)
        return {
            (budget_id, day)
            for user_id, category, day in spent
            for budget_id in watching.get((user_id, category), [])
        }

    async def recorded(
        self, recurring_ids: list[int], first: date, last: date
    ) -> set[tuple[int, date]]:
        """The (recurring_id, date) occurrences already posted within [first, last]."""
        if not recurring_ids:
            return set()
        query = select(RecurringPosting.recurring_id, RecurringPosting.date).where(
            RecurringPosting.recurring_id.in_(recurring_ids),
            and_(RecurringPosting.date >= first, RecurringPosting.date <= last),
        )
        return {(r.recurring_id, r.date) for r in await self.session.execute(query)}

    @property
    def _dialect(self) -> str:
        bind = self.session.bind
        return bind.dialect.name if bind is not None else "sqlite"


def _claim_query(session: AsyncSession) -> Any:
    return (
        insert_for(session)(RecurringPosting)
        .on_conflict_do_nothing(index_elements=["recurring_id", "date"])
        .returning(RecurringPosting.recurring_id, RecurringPosting.date)
    )


# PostgreSQL: many rows as arrays through unnest(), one statement per batch.
_PG_POST = text(
    "WITH claimed AS ("
    " INSERT INTO recurring_postings (recurring_id, date, created_at)"
    " SELECT v.recurring_id, v.date, :at"
    " FROM unnest(CAST(:ids AS integer[]), CAST(:dates AS date[])) AS v(recurring_id, date)"
    " ON CONFLICT (recurring_id, date) DO NOTHING"
    " RETURNING recurring_id, date"
    "), due AS ("
    " SELECT r.user_id, r.kind, r.name, r.amount, r.currency, r.description, c.date"
    " FROM claimed AS c JOIN recurring_entries AS r ON r.id = c.recurring_id"
    "), spent AS ("
    " INSERT INTO expenses (user_id, category, amount, currency, base_amount, rate_date,"
    " date, description, created_at)"
    " SELECT user_id, name, amount, currency, amount, date, date, description, :at"
    " FROM due WHERE kind = 'expense'"
    " RETURNING user_id, lower(category) AS category, date"
    "), earned AS ("
    " INSERT INTO incomes (user_id, source, amount, currency, base_amount, rate_date,"
    " date, description, created_at)"
    " SELECT user_id, name, amount, currency, amount, date, date, description, :at"
    " FROM due WHERE kind = 'income'"
    " RETURNING 1"
    ")"
    " SELECT DISTINCT b.id, s.date, CAST(NULL AS bigint) AS claimed FROM spent AS s"
    " JOIN budgets AS b ON b.user_id = s.user_id AND lower(b.category) = s.category"
    " AND b.household_id IS NULL"  # postings are personal: household budgets count shared ones
    " UNION ALL SELECT NULL, NULL, count(*) FROM claimed"
)
_PG_SET_SCHEDULES = text(
    "UPDATE recurring_entries AS r "
    "SET next_date = v.next_date, reminded_for = v.reminded_for, wake_on = v.wake_on "
    "FROM unnest(CAST(:ids AS integer[]), CAST(:next AS date[]), "
    "CAST(:reminded AS date[]), CAST(:wake AS date[])) "
    "AS v(id, next_date, reminded_for, wake_on) "
    "WHERE r.id = v.id"
)


class PlanningRepository:
    """Set-based reads for safe-to-spend over many users (the weekly summary)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def users(self, user_ids: list[int]) -> list[User]:
        found: list[User] = []
        for first in range(0, len(user_ids), _BATCH):
            chunk = user_ids[first : first + _BATCH]
            query = select(User).where(User.id.in_(chunk)).order_by(User.id)
            found.extend((await self.session.execute(query)).scalars())
        return found

    async def totals(
        self, spans: dict[int, tuple[date, date]]
    ) -> dict[int, tuple[Decimal, Decimal]]:
        """(income, spent) of each user over their own [first, last]; users sharing a
        span (same timezone and pay day) are asked together."""
        by_span: dict[tuple[date, date], list[int]] = {}
        for user_id, span in spans.items():
            by_span.setdefault(span, []).append(user_id)
        answer = {user_id: (Decimal(0), Decimal(0)) for user_id in spans}
        for (first, last), user_ids in by_span.items():
            for start in range(0, len(user_ids), _BATCH):
                chunk = user_ids[start : start + _BATCH]
                models: tuple[type[Income] | type[Expense], ...] = (Income, Expense)
                for index, model in enumerate(models):
                    query = (
                        select(model.user_id, func.sum(model.amount))
                        .where(model.user_id.in_(chunk), model.date >= first, model.date <= last)
                        .group_by(model.user_id)
                    )
                    for user_id, total in await self.session.execute(query):
                        pair = list(answer[user_id])
                        pair[index] = total
                        answer[user_id] = (pair[0], pair[1])
        return answer

    async def live_entries(self, user_ids: list[int], until: date) -> list[RecurringEntry]:
        """Entries of these users with an occurrence not posted yet on or before `until`."""
        found: list[RecurringEntry] = []
        for first in range(0, len(user_ids), _BATCH):
            query = select(RecurringEntry).where(
                RecurringEntry.user_id.in_(user_ids[first : first + _BATCH]),
                RecurringEntry.next_date <= until,
            )
            found.extend((await self.session.execute(query)).scalars())
        return found
