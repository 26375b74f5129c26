"""Queries of recurring entries, set-based for the posting job."""

from datetime import date
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
    update,
)

from core.crud import OwnedRepository, insert_for
from core.models import Budget, Expense, Income, RecurringEntry, RecurringPosting, User

_DUE_COLUMNS = (
    RecurringEntry.id,
    RecurringEntry.user_id,
    RecurringEntry.kind,
    RecurringEntry.name,
    RecurringEntry.amount,
    RecurringEntry.currency,
    RecurringEntry.description,
    RecurringEntry.rrule,
    RecurringEntry.start,
    RecurringEntry.end,
    RecurringEntry.remind_days_before,
    RecurringEntry.next_date,
    RecurringEntry.reminded_for,
    User.timezone,
)
_BATCH = 5000  # rows per multi-row statement: bounded memory and parameter counts


class RecurringRepository(OwnedRepository[RecurringEntry]):
    model = RecurringEntry

    async def all_for_user(self, user_id: int) -> list[RecurringEntry]:
        query = (
            select(RecurringEntry)
            .where(RecurringEntry.user_id == user_id)
            .order_by(RecurringEntry.id)
        )
        return list((await self.session.execute(query)).scalars())

    async def due(self, today_by_timezone: dict[str, date]) -> list[Row[Any]]:
        """Every entry with something to do (post or remind) on or before its user's
        local today. On PostgreSQL the rows are locked and rows another replica holds
        are skipped, so replicas share the work instead of queueing on it."""
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
            )
            .order_by(RecurringEntry.id)
        )
        if self._dialect == "postgresql":
            query = query.with_for_update(of=RecurringEntry, skip_locked=True)
        result: Any = await self.session.execute(query)
        return list(result.all())

    async def claim(self, occurrences: list[tuple[int, date]]) -> set[tuple[int, date]]:
        """Record these (recurring_id, date) occurrences; answers those that were new.

        The unique key decides: an occurrence another run recorded is not answered."""
        claimed: set[tuple[int, date]] = set()
        dialect_insert = insert_for(self.session)
        for first in range(0, len(occurrences), _BATCH):
            rows = [
                {"recurring_id": recurring_id, "date": day}
                for recurring_id, day in occurrences[first : first + _BATCH]
            ]
            query = (
                dialect_insert(RecurringPosting)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["recurring_id", "date"])
                .returning(RecurringPosting.recurring_id, RecurringPosting.date)
            )
            claimed.update((r.recurring_id, r.date) for r in await self.session.execute(query))
        return claimed

    async def insert_entries(
        self, expenses: list[dict[str, Any]], incomes: list[dict[str, Any]]
    ) -> None:
        for model, rows in ((Expense, expenses), (Income, incomes)):
            for first in range(0, len(rows), _BATCH):
                await self.session.execute(insert(model), rows[first : first + _BATCH])

    async def set_schedules(self, schedules: list[dict[str, Any]]) -> None:
        """Store next_date, reminded_for and wake_on of many entries (each dict has `key`)."""
        table = cast(Table, RecurringEntry.__table__)
        query = (
            update(table)
            .where(table.c.id == bindparam("key"))
            .values(
                next_date=bindparam("next_date"),
                reminded_for=bindparam("reminded_for"),
                wake_on=bindparam("wake_on"),
            )
        )
        for first in range(0, len(schedules), _BATCH):
            await self.session.execute(query, schedules[first : first + _BATCH])

    async def watched(self, pairs: set[tuple[int, str]]) -> set[tuple[int, str]]:
        """Which (user_id, lower-cased category) pairs have a budget."""
        if not pairs:
            return set()
        user_ids = sorted({user_id for user_id, _ in pairs})
        query = select(Budget.user_id, func.lower(Budget.category)).where(
            Budget.user_id.in_(user_ids)
        )
        found = {(user_id, category) for user_id, category in await self.session.execute(query)}
        return found & pairs

    async def users(self, user_ids: list[int]) -> list[User]:
        query = select(User).where(User.id.in_(user_ids)).order_by(User.id)
        return list((await self.session.execute(query)).scalars())

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
