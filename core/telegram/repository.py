from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    bindparam,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.repository import USER_COLUMNS, attach_user
from core.db import QUICK_READ, HotStatement
from core.models import (
    Budget,
    ChatEntry,
    Expense,
    MerchantCategory,
    Rule,
    TelegramLinkCode,
    User,
)
from core.models.base import utcnow

# Every update runs this: plain columns (Core) cost a fraction of an ORM load; one row
# by a unique index, so quick enough for the loop's own thread on SQLite.
_USER_FOR_CHAT = HotStatement(
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
_ENTRY_COLUMNS = ("chat_id", "user_id", "kind", "object_id", "message_id", "created_at")
_INSERT_ENTRY = HotStatement(
    insert(ChatEntry)
    .values({name: bindparam(name) for name in _ENTRY_COLUMNS})
    .returning(ChatEntry.id)
)


def _chat_context() -> CompoundSelect:
    """Six parts in one statement (part, text, extra, rank, kind), each ordered in Python:
    a chat message needs them all before its first write, and each round trip costs
    more than its query."""
    user: Any = bindparam("user_id")

    def part(number: int, text: Any, extra: Any, rank: Any, kind: Any = None) -> list[Any]:
        return [
            literal(number).label("part"),
            text.label("text"),
            extra.label("extra"),
            rank.label("rank"),
            (null() if kind is None else kind).label("kind"),
        ]

    budgets = select(*part(0, Budget.category, null(), Budget.id)).where(Budget.user_id == user)
    key = func.lower(Expense.category)
    used = (
        select(*part(1, func.min(Expense.category), key, func.count()))
        .where(Expense.user_id == user)
        .group_by(key)
        .order_by(func.count().desc(), key)
        .limit(bindparam("top"))
        .subquery()
    )
    # The latest by date, on the (user, date, id) index: read backwards and stopped at
    # the limit, where the latest by id sorted all of a person's expenses every message.
    newest = (
        select(Expense.id, Expense.description, Expense.category)
        .where(Expense.user_id == user, Expense.description != "")
        .order_by(Expense.date.desc(), Expense.id.desc())
        .limit(bindparam("words"))
        .subquery()
    )
    # Of the newest expenses, each text once, as last filed: the words learned are the
    # same (the newest filing of a word wins), and people repeat their texts, so far
    # fewer rows come back and are split into words.
    latest = select(
        newest,
        func.row_number()
        .over(partition_by=newest.c.description, order_by=newest.c.id.desc())
        .label("nth"),
    ).subquery()
    recent = select(*part(2, latest.c.description, latest.c.category, latest.c.id)).where(
        latest.c.nth == 1
    )
    rules = select(
        *part(
            3,
            Rule.contains,
            Rule.category,
            func.row_number().over(order_by=(Rule.position, Rule.id)),
            Rule.kind,
        )
    ).where(Rule.user_id == user)
    # Whether any merchant is learned: the lookup after parsing is skipped when none is.
    learns = (
        select(*part(4, null(), null(), MerchantCategory.id))
        .where(MerchantCategory.user_id == user)
        .limit(1)
        .subquery()
    )
    message = select(*part(5, null(), null(), ChatEntry.id)).where(
        ChatEntry.chat_id == bindparam("chat_id"),
        ChatEntry.message_id == bindparam("message_id"),
    )
    return union_all(budgets, select(*used.c), recent, rules, select(*learns.c), message)


_CHAT_CONTEXT = HotStatement(_chat_context())


@dataclass(frozen=True)
class ChatContext:
    budgets: list[str]  # oldest budget first
    used: list[str]  # most used expense categories (case-insensitive), most used first
    recent: list[tuple[str, str]]  # (description, category), newest first
    rules: list[tuple[str, str, str | None]]  # (contains, category, kind) in their order
    learns: bool  # any merchant learned
    message_entry: int | None  # the chat entry the message made before


class TelegramRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def user_for_chat(self, chat_id: int) -> User | None:
        row = await _USER_FOR_CHAT.one_or_none(self.session, {"chat_id": chat_id})
        return None if row is None else attach_user(self.session, row)

    async def chat_context(
        self, user_id: int, chat_id: int | None, message_id: int | None, top: int, words: int
    ) -> ChatContext:
        """What a chat message is read and filed by, in one round trip."""
        params = {
            "user_id": user_id,
            "chat_id": chat_id,
            "message_id": message_id,
            "top": top,
            "words": words,
        }
        parts: dict[int, list[Any]] = {number: [] for number in range(6)}
        for row in await _CHAT_CONTEXT.rows(self.session, params):
            parts[row.part].append(row)
        return ChatContext(
            budgets=[r.text for r in sorted(parts[0], key=lambda r: r.rank)],
            used=[r.text for r in sorted(parts[1], key=lambda r: (-r.rank, r.extra))],
            recent=[(r.text, r.extra) for r in sorted(parts[2], key=lambda r: -r.rank)],
            rules=[(r.text, r.extra, r.kind) for r in sorted(parts[3], key=lambda r: r.rank)],
            learns=bool(parts[4]),
            message_entry=parts[5][0].rank if parts[5] else None,
        )

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

    async def link_code(self, digest: str) -> TelegramLinkCode | None:
        """The code stored under this digest (core.telegram.service.link_code_digest)."""
        return await self.session.get(TelegramLinkCode, digest)

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
        if entry.created_at is None:
            entry.created_at = utcnow()
        values = {name: getattr(entry, name) for name in _ENTRY_COLUMNS}
        [inserted] = await _INSERT_ENTRY.rows(self.session, values)
        entry.id = inserted.id

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
