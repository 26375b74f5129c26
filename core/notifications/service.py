"""Making notifications. Every alert in finbot is created here, whichever front
door (REST, bot, scheduler) caused it; the bus pushes it once the transaction
that made it has committed."""

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.crud import Page, Paging
from core.db import Database
from core.exceptions import NotFound
from core.metrics import NOTIFICATIONS_MADE
from core.models import Notification, User
from core.models.base import utcnow
from core.notifications.bus import NotificationBus
from core.notifications.repository import NotificationFilters, NotificationRepository
from core.notifications.schemas import NotificationOut

# session.info key: notifications made in this transaction, pushed after commit.
PENDING = "finbot_pending_notifications"


async def notify(
    session: AsyncSession, user_id: int, kind: str, message: str, dedupe_key: str | None = None
) -> Notification | None:
    """Make a notification, once per (user, dedupe_key); None when it already existed.

    Payments call this for status changes; budgets and goals for their alerts.
    """
    row = await NotificationRepository(session).add_once(user_id, kind, message, dedupe_key)
    if row is not None:
        NOTIFICATIONS_MADE.labels(kind).inc()
        session.info.setdefault(PENDING, []).append(NotificationOut.of(row))
    return row


async def notify_many(session: AsyncSession, items: list[dict[str, object]]) -> int:
    """Make many notifications in few statements (the jobs' path); how many were new.

    Each item: user_id, kind, message, dedupe_key.
    """
    made = 0
    repository = NotificationRepository(session)
    for start in range(0, len(items), 5000):  # bounded memory per round trip
        rows = await repository.add_many_once(items[start : start + 5000])
        session.info.setdefault(PENDING, []).extend(NotificationOut.of(row) for row in rows)
        for row in rows:
            NOTIFICATIONS_MADE.labels(row.kind).inc()
        made += len(rows)
    return made


def take_pending(session: AsyncSession) -> list[NotificationOut]:
    """The notifications this session made and has not handed out yet."""
    pending: list[NotificationOut] = session.info.pop(PENDING, [])
    return pending


def connect_bus(database: Database, bus: NotificationBus) -> None:
    """Push each session's notifications once its transaction has committed."""

    async def push(session: AsyncSession) -> None:
        await bus.publish(take_pending(session))

    database.after_commit(push)


async def list_page(
    session: AsyncSession, user: User, paging: Paging, unread: bool
) -> Page[Notification]:
    return await NotificationRepository(session).list_page(
        user.id, paging, NotificationFilters(unread=unread)
    )


async def mark_read(session: AsyncSession, user: User, notification_id: int) -> Notification:
    repository = NotificationRepository(session)
    row = await repository.get(user.id, notification_id)
    if row is None:
        raise NotFound("notification")
    if row.read_at is None:
        row.read_at = utcnow()
        await repository.flush()
    return row


async def mark_all_read(session: AsyncSession, user: User) -> int:
    return await NotificationRepository(session).mark_all_read(user.id, utcnow())


# Delivery to chats: a sender claims a batch under a lease, sends, then records the
# outcome. The lease keeps other senders off a batch; one that dies mid-way lets the
# lease run out and the next sender retries.
DELIVERY_LEASE = timedelta(seconds=60)


async def claim_for_chats(
    session: AsyncSession, now: datetime, limit: int
) -> list[tuple[Notification, int]]:
    """Notifications due for a linked chat, with the chat, leased to this sender."""
    return await NotificationRepository(session).claim_deliveries(now, now + DELIVERY_LEASE, limit)


async def record_deliveries(
    session: AsyncSession, delivered: list[int], retries: dict[int, datetime]
) -> None:
    """Mark these delivered (now), and put those back for another try at their time."""
    repository = NotificationRepository(session)
    now = utcnow()
    for notification_id in delivered:
        await repository.mark_delivered(notification_id, now)
    for notification_id, at in retries.items():
        await repository.retry_at(notification_id, at)
