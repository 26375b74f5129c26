from datetime import date, datetime

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.repository import USER_COLUMNS, attach_user
from core.db import QUICK_READ
from core.models import ChatEntry, Expense, TelegramLinkCode, User

# Every update runs this: plain columns (Core) cost a fraction of an ORM load; one row
# by a unique index, so quick enough for the loop's own thread on SQLite.
_USER_FOR_CHAT = (
    select(*USER_COLUMNS)
    .where(User.telegram_chat_id == bindparam("chat_id"))
    .execution_options(**QUICK_READ)
)


_ENTRY_FOR_MESSAGE = (
    select(ChatEntry.id)
    .where(
        ChatEntry.chat_id == bindparam("chat_id"),
        ChatEntry.message_id == bindparam("message_id"),
    )
    .execution_options(**QUICK_READ)  # one row by a unique index
)
_INSERT_ENTRY = insert(ChatEntry).returning(ChatEntry.id)


class TelegramRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def user_for_chat(self, chat_id: int) -> User | None:
        connection = await self.session.connection()
        row = (await connection.execute(_USER_FOR_CHAT, {"chat_id": chat_id})).one_or_none()
        return None if row is None else attach_user(self.session, row)

    async def unlink_chat(self, chat_id: int) -> None:
        await self.session.execute(
            update(User)
            .where(User.telegram_chat_id == chat_id)
            .values(telegram_chat_id=None, telegram_linked_at=None)
        )

    async def add(self, obj: object) -> None:
        self.session.add(obj)
        await self.session.flush()

    async def flush(self) -> None:
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

    async def entry_for_message(self, chat_id: int, message_id: int) -> ChatEntry | None:
        # Most messages are new: a Core look at the unique index (on SQLite, on the
        # loop's thread), and the ORM object only for a message seen before.
        connection = await self.session.connection()
        found = await connection.execute(
            _ENTRY_FOR_MESSAGE, {"chat_id": chat_id, "message_id": message_id}
        )
        entry_id = found.scalar_one_or_none()
        return None if entry_id is None else await self.session.get(ChatEntry, entry_id)

    async def add_entry(self, entry: ChatEntry) -> None:
        """Store a new chat entry with one Core INSERT (it is never changed in this unit
        of work, so the ORM's flush would only cost): `entry.id` is set."""
        connection = await self.session.connection()
        values = {
            "chat_id": entry.chat_id,
            "user_id": entry.user_id,
            "kind": entry.kind,
            "object_id": entry.object_id,
            "message_id": entry.message_id,
        }
        entry.id = (await connection.execute(_INSERT_ENTRY, values)).scalar_one()

    async def entry(self, entry_id: int) -> ChatEntry | None:
        return await self.session.get(ChatEntry, entry_id)

    async def largest_expenses(
        self, user_id: int, start: date, end: date, category: str | None, limit: int
    ) -> list[Expense]:
        """The largest single expenses over [start, end], newest first on a tie."""
        query = select(Expense).where(
            Expense.user_id == user_id, Expense.date >= start, Expense.date <= end
        )
        if category is not None:
            query = query.where(func.lower(Expense.category) == category.lower())
        query = query.order_by(Expense.amount.desc(), Expense.date.desc(), Expense.id.desc())
        return list((await self.session.execute(query.limit(limit))).scalars())
