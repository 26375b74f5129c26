"""The chat side of the core: accounts for chats, linking, entries typed in a chat."""

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from core.budgets.repository import BudgetRepository
from core.exceptions import NotFound
from core.expenses.repository import ExpenseRepository
from core.expenses.schemas import ExpenseCreate, ExpenseUpdate
from core.expenses.service import ExpenseService, expenses
from core.goals.repository import GoalRepository
from core.goals.schemas import GoalUpdate
from core.goals.service import goals
from core.incomes.schemas import IncomeCreate
from core.incomes.service import IncomeService, incomes
from core.models import ChatEntry, Expense, Goal, Income, TelegramLinkCode, User
from core.models.base import utcnow
from core.telegram.repository import TelegramRepository

LINK_CODE_VALIDITY = timedelta(minutes=10)
PHOTO_ATTACH_WINDOW = timedelta(minutes=10)
_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


@dataclass(frozen=True)
class ChatHints:
    """The person's categories (budgets, then past expenses), the words they filed
    under each (newest filing wins), and their most used categories for buttons."""

    categories: tuple[str, ...]
    words: dict[str, str]
    top: list[str]


@dataclass(frozen=True)
class Recorded:
    entry_id: int
    kind: str
    object_id: int
    amount: Decimal
    category: str
    day: str
    currency: str = ""  # as entered; base_amount is the amount in the user's base
    base_amount: Decimal | None = None


async def new_link_code(session: AsyncSession, user: User) -> str:
    code = secrets.token_urlsafe(12)
    await TelegramRepository(session).add(
        TelegramLinkCode(code=code, user_id=user.id, expires_at=utcnow() + LINK_CODE_VALIDITY)
    )
    return code


async def user_for_chat(session: AsyncSession, chat_id: int) -> User | None:
    return await TelegramRepository(session).user_for_chat(chat_id)


@dataclass(frozen=True)
class Started:
    """What `/start [code]` did: the chat's account and the outcome ("created",
    "existing", "linked", "bad-code", or "confirm": the chat belongs to `user` and
    the code to `other`, so nothing changes until the person confirms)."""

    user: User
    outcome: str
    other: User | None = None


async def start(
    session: AsyncSession, chat_id: int, code: str | None, *, rebind: bool = False
) -> Started:
    """The account behind this chat after `/start [code]`. A chat already linked to
    another account moves to the code's account only with `rebind` (the person said
    yes to the question naming both accounts)."""
    repository = TelegramRepository(session)
    now = utcnow()
    current = await repository.user_for_chat(chat_id)
    if code:
        link = await repository.link_code(code[:64])
        if link is not None and link.used_at is None and link.expires_at > now:
            user = await session.get(User, link.user_id)
            if user is not None:
                if current is not None and current.id != user.id and not rebind:
                    return Started(current, "confirm", other=user)
                link.used_at = now
                await repository.unlink_chat(chat_id)
                await session.flush()
                user.telegram_chat_id = chat_id
                user.telegram_linked_at = now
                await session.flush()
                return Started(user, "linked")
    if current is not None:
        return Started(current, "existing" if not code else "bad-code")
    user = User(
        username=f"tg{chat_id}".replace("-", "n"),
        email=None,
        password_hash=None,
        telegram_chat_id=chat_id,
        telegram_linked_at=now,
    )
    await repository.add(user)
    return Started(user, "created" if not code else "bad-code")


TOP_BUTTONS = 4


async def hints(session: AsyncSession, user: User) -> ChatHints:
    """What a parser needs to file a message, and the re-file buttons, from one set
    of queries."""
    expense_repository = ExpenseRepository(session)
    used = await expense_repository.top_categories(user.id, 50)
    categories = [b.category for b in await BudgetRepository(session).all_for_user(user.id)]
    words: dict[str, str] = {}
    for description, category in reversed(await expense_repository.recent_words(user.id)):
        for word in _WORD.findall(description.lower()):
            words[word] = category  # the newest filing of a word wins
    return ChatHints(
        categories=tuple(dict.fromkeys(categories + used)), words=words, top=used[:TOP_BUTTONS]
    )


async def record(
    session: AsyncSession, user: User, chat_id: int, entry: ExpenseCreate | IncomeCreate
) -> Recorded:
    """Record an entry typed in the chat, remembered for /undo and the buttons."""
    obj: Expense | Income
    if isinstance(entry, ExpenseCreate):
        kind, category = "expense", entry.category
        obj = await expenses.create(session, user, entry)
    else:
        kind, category = "income", entry.source
        obj = await incomes.create(session, user, entry)
    object_id = int(obj.id)
    chat_entry = ChatEntry(chat_id=chat_id, user_id=user.id, kind=kind, object_id=object_id)
    await TelegramRepository(session).add(chat_entry)
    return Recorded(
        entry_id=chat_entry.id,
        kind=kind,
        object_id=object_id,
        amount=obj.amount,
        category=category,
        day=obj.date.isoformat(),
        currency=obj.currency,
        base_amount=obj.base_amount,
    )


async def undo(
    session: AsyncSession, user: User, chat_id: int, entry_id: int | None = None
) -> str | None:
    """Delete the chat's last entry (or that one, if it is the last): what it was, or None."""
    repository = TelegramRepository(session)
    entry = await repository.last_entry(chat_id)
    if entry is None or entry.user_id != user.id or (entry_id is not None and entry.id != entry_id):
        return None
    service: ExpenseService | IncomeService = expenses if entry.kind == "expense" else incomes
    try:
        obj = await service.get(session, user, entry.object_id)
        label = obj.category if isinstance(obj, Expense) else obj.source
        what = f"{entry.kind} of {obj.amount:.2f} ({label})"
        await service.delete(session, user, entry.object_id)
    except NotFound:
        what = f"{entry.kind} (already deleted)"
    await repository.remove_entry(entry)
    return what


async def refile(session: AsyncSession, user: User, expense_id: int, category: str) -> str:
    expense = await expenses.update(session, user, expense_id, ExpenseUpdate(category=category))
    return expense.category


async def expense_to_attach(session: AsyncSession, chat_id: int) -> int | None:
    since = utcnow() - PHOTO_ATTACH_WINDOW
    return await TelegramRepository(session).last_chat_expense_since(chat_id, since)


async def save_to_goal(
    session: AsyncSession, user: User, amount: Decimal, name: str
) -> Goal | None:
    """Add to the goal whose description best matches `name` (the newest on a tie)."""
    candidates = await GoalRepository(session).for_user(user.id)
    wanted = name.lower().strip()
    match = next((g for g in candidates if g.description.lower() == wanted), None) or next(
        (g for g in candidates if wanted and wanted in g.description.lower()), None
    )
    if match is None:
        return None
    return await goals.update(
        session, user, match.id, GoalUpdate(saved_amount=match.saved_amount + amount)
    )
