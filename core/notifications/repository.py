from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, func, select, update

from core.crud import OwnedRepository, insert_for
from core.models import Notification
from core.models.base import utcnow


@dataclass(frozen=True)
class NotificationFilters:
    unread: bool = False


class NotificationRepository(OwnedRepository[Notification]):
    model = Notification
    newest_first = ("created_at", "id")

    async def add_once(
        self, user_id: int, kind: str, message: str, dedupe_key: str | None
    ) -> Notification | None:
        """Insert unless (user, key) exists; the new row, or None when it did."""
        insert = insert_for(self.session)
        statement = (
            insert(Notification)
            .values(
                user_id=user_id,
                kind=kind,
                message=message,
                dedupe_key=dedupe_key,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["user_id", "dedupe_key"])
            .returning(Notification)
        )
        result = await self.session.execute(
            select(Notification).from_statement(statement),
            execution_options={"populate_existing": True},
        )
        return result.scalar_one_or_none()

    def conditions(self, filters: NotificationFilters) -> list[ColumnElement[bool]]:
        return [Notification.read_at.is_(None)] if filters.unread else []

    async def add_many_once(self, rows: list[dict[str, object]]) -> list[Row[Any]]:
        """Insert many at once, skipping any (user, key) that exists; the new rows'
        columns (plain rows, not ORM objects: the jobs make tens of thousands)."""
        if not rows:
            return []
        now = utcnow()
        # One statement, many parameter sets: SQLAlchemy batches them ("insertmanyvalues")
        # with RETURNING, and the compiled statement is cached.
        statement = (
            insert_for(self.session)(Notification)
            .on_conflict_do_nothing(index_elements=["user_id", "dedupe_key"])
            .returning(
                Notification.id,
                Notification.user_id,
                Notification.kind,
                Notification.message,
                Notification.created_at,
                Notification.read_at,
            )
        )
        parameters = [{**row, "created_at": now} for row in rows]
        return list((await self.session.execute(statement, parameters)).all())

    async def mark_all_read(self, user_id: int, at: datetime) -> int:
        query = update(Notification).where(
            Notification.user_id == user_id, Notification.read_at.is_(None)
        )
        result = await self.session.execute(query.values(read_at=at))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def count_unread(self, user_id: int) -> int:
        query = select(func.count()).where(
            Notification.user_id == user_id, Notification.read_at.is_(None)
        )
        return int((await self.session.execute(query)).scalar_one())
