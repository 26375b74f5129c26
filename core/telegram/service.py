"""The chat side of the core: accounts for chats, linking, entries typed in a chat."""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from core.exceptions import NotFound
from core.expenses.schemas import ExpenseCreate, ExpenseUpdate
from core.expenses.service import ExpenseService, expenses
from core.goals.repository import GoalRepository
from core.goals.schemas import GoalUpdate
from core.goals.service import goals
from core.incomes.schemas import IncomeCreate
from core.incomes.service import IncomeService, incomes
from core.models import ChatEntry, Expense, Goal, Income, TelegramLinkCode, User
from core.models.base import utcnow
from core.money import in_minor_units, shown
from core.rules.service import category_by, category_for
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
    # Read with them, so that filing the message costs no more round trips:
    rules: list[tuple[str, str, str | None]] | None = None  # None: not read
    learns: bool = True  # whether any merchant is learned
    message: tuple[int, int] | None = None  # the (chat, message) looked up, if one was
    message_entry: int | None = None  # the chat entry that message made before


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


def link_code_digest(code: str) -> str:
    """Link codes are stored as their SHA-256 (64 hex digits, the column's width), as
    tokens, resets and invites are: a read of the table binds no chat to anyone.

    Codes stored in clear before this are not found by their digest: they lived ten
    minutes, so they have simply expired (the purge job deletes them)."""
    return hashlib.sha256(code.encode()).hexdigest()


async def new_link_code(session: AsyncSession, user: User) -> str:
    code = secrets.token_urlsafe(12)
    await TelegramRepository(session).add(
        TelegramLinkCode(
            code=link_code_digest(code), user_id=user.id, expires_at=utcnow() + LINK_CODE_VALIDITY
        )
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
        link = await repository.link_code(link_code_digest(code))
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


async def hints(
    session: AsyncSession, user: User, chat_id: int | None = None, message_id: int | None = None
) -> ChatHints:
    """What a parser needs to file a message, and the re-file buttons, from one
    statement; with the message, also what record_for_message would look up."""
    context = await TelegramRepository(session).chat_context(
        user.id, chat_id, message_id, top=50, words=300
    )
    words: dict[str, str] = {}
    for description, category in reversed(context.recent):
        for word in _WORD.findall(description.lower()):
            words[word] = category  # the newest filing of a word wins
    return ChatHints(
        categories=tuple(dict.fromkeys(context.budgets + context.used)),
        words=words,
        top=context.used[:TOP_BUTTONS],
        rules=context.rules,
        learns=context.learns,
        message=(chat_id, message_id) if chat_id is not None and message_id is not None else None,
        message_entry=context.message_entry,
    )


async def record(
    session: AsyncSession,
    user: User,
    chat_id: int,
    entry: ExpenseCreate | IncomeCreate,
    message_id: int | None = None,
    hints: ChatHints | None = None,
) -> Recorded:
    """Record an entry typed in the chat, remembered for /undo, the buttons and edits."""
    entry = await _filed_by_rules(session, user, entry, hints)
    obj = await _create(session, user, entry)
    chat_entry = ChatEntry(
        chat_id=chat_id,
        user_id=user.id,
        kind=_kind(entry),
        object_id=int(obj.id),
        message_id=message_id,
    )
    await TelegramRepository(session).add_entry(chat_entry)
    return _recorded(chat_entry, obj)


@dataclass(frozen=True)
class Revised:
    """What `record_for_message` did: "created", "updated" or "unchanged"."""

    recorded: Recorded
    outcome: str


async def record_for_message(
    session: AsyncSession,
    user: User,
    chat_id: int,
    message_id: int,
    entry: ExpenseCreate | IncomeCreate,
    hints: ChatHints | None = None,
) -> Revised:
    """The entry a message reads as: recorded the first time, and the same entry brought
    in line after that (an edit of the message, a retried update, a second tap on the
    same reading), so one message never makes two entries. An edited message is filed
    by the person's rules and learning as a new one is. `hints` read for this message
    spare the look-ups they hold."""
    repository = TelegramRepository(session)
    if hints is not None and hints.message == (chat_id, message_id):
        existing = await repository.entry(hints.message_entry) if hints.message_entry else None
    else:
        existing = await repository.entry_for_message(chat_id, message_id)
    if existing is not None and existing.user_id != user.id:
        raise NotFound("entry")  # made under the account this chat was linked to before
    if existing is None:
        return Revised(await record(session, user, chat_id, entry, message_id, hints), "created")
    try:
        old = await _service(existing.kind).get(session, user, existing.object_id)
    except NotFound:  # deleted elsewhere (the app): the message makes it again
        await repository.remove_entry(existing)
        await session.flush()
        return Revised(await record(session, user, chat_id, entry, message_id, hints), "created")
    entry = await _filed_by_rules(session, user, entry, hints)
    if existing.kind != _kind(entry):  # "+20 refund" fixed to "20 refund": other table
        await _service(existing.kind).delete(session, user, existing.object_id)
        obj = await _create(session, user, entry)
        existing.kind, existing.object_id = _kind(entry), int(obj.id)
        await repository.flush()
        return Revised(_recorded(existing, obj), "updated")
    before = _values(old)
    obj = await _replace(session, user, existing.object_id, entry)
    outcome = "unchanged" if _values(obj) == before else "updated"
    return Revised(_recorded(existing, obj), outcome)


async def entry_for_message(
    session: AsyncSession, user: User, chat_id: int, message_id: int
) -> ChatEntry | None:
    entry = await TelegramRepository(session).entry_for_message(chat_id, message_id)
    return entry if entry is not None and entry.user_id == user.id else None


async def chat_entry(session: AsyncSession, user: User, entry_id: int) -> ChatEntry | None:
    entry = await TelegramRepository(session).entry(entry_id)
    return entry if entry is not None and entry.user_id == user.id else None


async def describe(session: AsyncSession, user: User, entry: ChatEntry) -> str | None:
    """What it was, as 'expense of 12.00 (lunch)', or None when it is gone."""
    try:
        obj = await _service(entry.kind).get(session, user, entry.object_id)
    except NotFound:
        return None
    label = obj.category if isinstance(obj, Expense) else obj.source
    # The base currency goes without saying; another one is named.
    amount = (
        in_minor_units(obj.amount, obj.currency)
        if obj.currency == user.currency
        else shown(obj.amount, obj.currency)
    )
    return f"{entry.kind} of {amount} ({label})"


async def forget(session: AsyncSession, user: User, chat_id: int, entry_id: int) -> str | None:
    """Delete an entry this chat made (any, not only the last): what it was, or None
    when it is gone already (a second tap on the button)."""
    repository = TelegramRepository(session)
    entry = await repository.entry(entry_id)
    if entry is None or entry.user_id != user.id or entry.chat_id != chat_id:
        return None
    return await _delete(session, user, entry)


async def largest_expenses(
    session: AsyncSession,
    user: User,
    start: date,
    end: date,
    category: str | None = None,
    limit: int = 5,
) -> list[Expense]:
    return await TelegramRepository(session).largest_expenses(user.id, start, end, category, limit)


def _kind(entry: ExpenseCreate | IncomeCreate) -> str:
    return "expense" if isinstance(entry, ExpenseCreate) else "income"


def _service(kind: str) -> ExpenseService | IncomeService:
    return expenses if kind == "expense" else incomes


async def _create(
    session: AsyncSession, user: User, entry: ExpenseCreate | IncomeCreate
) -> Expense | Income:
    if isinstance(entry, ExpenseCreate):
        return await expenses.create(session, user, entry)
    return await incomes.create(session, user, entry)


async def _replace(
    session: AsyncSession, user: User, object_id: int, entry: ExpenseCreate | IncomeCreate
) -> Expense | Income:
    if isinstance(entry, ExpenseCreate):
        return await expenses.replace(session, user, object_id, entry)
    return await incomes.replace(session, user, object_id, entry)


# What an edit can change; compared to tell an edit from a repeat.
_COMPARED = ("category", "source", "amount", "date", "description", "currency")


def _values(obj: Expense | Income) -> tuple[object, ...]:
    return tuple(getattr(obj, name, None) for name in _COMPARED)


def _recorded(entry: ChatEntry, obj: Expense | Income) -> Recorded:
    return Recorded(
        entry_id=entry.id,
        kind=entry.kind,
        object_id=int(obj.id),
        amount=obj.amount,
        category=obj.category if isinstance(obj, Expense) else obj.source,
        day=obj.date.isoformat(),
        currency=obj.currency,
        base_amount=obj.base_amount,
    )


async def _delete(session: AsyncSession, user: User, entry: ChatEntry) -> str | None:
    """What was deleted, or None when it may no longer be (a shared entry of a
    household its writer has left: SPEC 8)."""
    what = await describe(session, user, entry)
    if what is None:
        what = f"{entry.kind} (already deleted)"
    else:
        try:
            await _service(entry.kind).delete(session, user, entry.object_id)
        except NotFound:
            return None
    await TelegramRepository(session).remove_entry(entry)
    return what


async def _filed_by_rules(
    session: AsyncSession,
    user: User,
    entry: ExpenseCreate | IncomeCreate,
    hints: ChatHints | None = None,
) -> ExpenseCreate | IncomeCreate:
    """SPEC 6: the person's rules, then what they filed the merchant under, before the
    parser's guess from the words."""
    kind = _kind(entry)
    if hints is not None and hints.rules is not None:
        category = await category_by(
            session, user.id, hints.rules, hints.learns, entry.description, kind
        )
    else:
        category = await category_for(session, user.id, entry.description, kind)
    if category is None:
        return entry
    return entry.model_copy(update={"category" if kind == "expense" else "source": category})


async def undo(
    session: AsyncSession, user: User, chat_id: int, entry_id: int | None = None
) -> str | None:
    """Delete the chat's last entry (or that one, if it is the last): what it was, or None."""
    repository = TelegramRepository(session)
    entry = await repository.last_entry(chat_id)
    if entry is None or entry.user_id != user.id or (entry_id is not None and entry.id != entry_id):
        return None
    return await _delete(session, user, entry)


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
