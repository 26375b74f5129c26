from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, func, or_, select, tuple_, update

from core.crud import OwnedRepository, insert_for
from core.models import Notification, User
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

    async def existing_keys(self, pairs: list[tuple[int, str]]) -> set[tuple[int, str]]:
        """Which of these (user id, dedupe key) pairs already have a notification."""
        found: set[tuple[int, str]] = set()
        for start in range(0, len(pairs), 1000):  # bounded statement size
            chunk = pairs[start : start + 1000]
            query = select(Notification.user_id, Notification.dedupe_key).where(
                tuple_(Notification.user_id, Notification.dedupe_key).in_(chunk)
            )
            found.update((u, k) for u, k in (await self.session.execute(query)).all() if k)
        return found

    async def claim_deliveries(
        self, now: datetime, lease_until: datetime, limit: int
    ) -> list[tuple[Notification, int]]:
        """Notifications due for a linked chat, leased to this sender until `lease_until`.

        The lease (next_delivery_at) keeps other senders off them; one that dies
        mid-way lets the lease run out and the next sender retries.
        """
        due = (
            select(Notification.id)
            .join(User, User.id == Notification.user_id)
            .where(
                Notification.delivered_at.is_(None),
                User.telegram_chat_id.is_not(None),
                Notification.created_at >= User.telegram_linked_at,
                or_(Notification.next_delivery_at.is_(None), Notification.next_delivery_at <= now),
            )
            .order_by(Notification.id)
            .limit(limit)
        )
        if self.session.bind is not None and self.session.bind.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True, of=Notification)
        ids = list((await self.session.execute(due)).scalars())
        if not ids:
            return []
        await self.session.execute(
            update(Notification)
            .where(
                Notification.id.in_(ids),
                Notification.delivered_at.is_(None),
                or_(Notification.next_delivery_at.is_(None), Notification.next_delivery_at <= now),
            )
            .values(
                next_delivery_at=lease_until,
                delivery_attempts=Notification.delivery_attempts + 1,
            )
        )
        query = (
            select(Notification, User.telegram_chat_id)
            .join(User, User.id == Notification.user_id)
            .where(and_(Notification.id.in_(ids), Notification.next_delivery_at == lease_until))
            .order_by(Notification.id)
        )
        rows = (await self.session.execute(query)).all()
        return [(n, int(chat)) for n, chat in rows if chat is not None]

    async def mark_delivered(self, notification_id: int, at: datetime) -> None:
        await self.session.execute(
            update(Notification).where(Notification.id == notification_id).values(delivered_at=at)
        )

    async def retry_at(self, notification_id: int, at: datetime) -> None:
        await self.session.execute(
            update(Notification)
            .where(Notification.id == notification_id)
            .values(next_delivery_at=at)
        )
