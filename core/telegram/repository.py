from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import ChatEntry, Expense, Notification, TelegramLinkCode, User


class TelegramRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def user_for_chat(self, chat_id: int) -> User | None:
        query = select(User).where(User.telegram_chat_id == chat_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def unlink_chat(self, chat_id: int) -> None:
        await self.session.execute(
            update(User)
            .where(User.telegram_chat_id == chat_id)
            .values(telegram_chat_id=None, telegram_linked_at=None)
        )

    async def add(self, obj: object) -> None:
        self.session.add(obj)
        await self.session.flush()

    async def link_code(self, code: str) -> TelegramLinkCode | None:
        return await self.session.get(TelegramLinkCode, code)

    async def last_entry(self, chat_id: int) -> ChatEntry | None:
        query = select(ChatEntry).where(ChatEntry.chat_id == chat_id).order_by(ChatEntry.id.desc())
        return (await self.session.execute(query.limit(1))).scalar_one_or_none()

    async def remove_entry(self, entry: ChatEntry) -> None:
        await self.session.execute(delete(ChatEntry).where(ChatEntry.id == entry.id))

    async def last_chat_expense_since(self, chat_id: int, since: datetime) -> int | None:
        query = (
            select(ChatEntry.object_id)
            .where(
                ChatEntry.chat_id == chat_id,
                ChatEntry.kind == "expense",
                ChatEntry.created_at >= since,
            )
            .order_by(ChatEntry.id.desc())
            .limit(1)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def top_categories(self, user_id: int, limit: int) -> list[str]:
        """The person's most used expense categories (case-insensitive), most used first."""
        key = func.lower(Expense.category)
        query = (
            select(func.min(Expense.category))
            .where(Expense.user_id == user_id)
            .group_by(key)
            .order_by(func.count().desc(), key)
            .limit(limit)
        )
        return list((await self.session.execute(query)).scalars())

    async def recent_words(self, user_id: int, limit: int = 300) -> list[tuple[str, str]]:
        """(description, category) of recent expenses: the words people reuse."""
        query = (
            select(Expense.description, Expense.category)
            .where(Expense.user_id == user_id, Expense.description != "")
            .order_by(Expense.id.desc())
            .limit(limit)
        )
        return [(d, c) for d, c in (await self.session.execute(query)).all()]

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
