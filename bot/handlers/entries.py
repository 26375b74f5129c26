"""Plain text becomes an expense or an income; buttons re-file or undo it."""

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.keyboards import after_entry
from bot.middlewares import require_user
from core.documents import service as documents
from core.exceptions import NotFound
from core.expenses.schemas import ExpenseCreate
from core.incomes.schemas import IncomeCreate
from core.language.parsing import CategoryHints, Unparsed, parse_message
from core.models import User
from core.periods import local_today
from core.telegram import service as chats
from core.telegram.service import ChatHints, Recorded

REFUSALS = {
    "no amount": texts.CANT_READ,
    "several amounts": texts.SEVERAL_AMOUNTS,
    "no category": texts.NO_CATEGORY,
    "amount out of range": texts.OUT_OF_RANGE,
}
PHOTO_WAITING = "photo_document_id"  # FSM data: a receipt waiting for its amount


def read_entry(text: str, user: User, hints: ChatHints) -> ExpenseCreate | IncomeCreate | Unparsed:
    """The person's words as core's own create schema, or why they are not an entry."""
    parsed = parse_message(
        text,
        local_today(user.timezone),
        CategoryHints(categories=hints.categories, words=hints.words),
        user.currency,
    )
    if isinstance(parsed, Unparsed):
        return parsed
    fields = {"amount": parsed.amount, "date": parsed.date, "description": parsed.description}
    fields["currency"] = parsed.currency  # None: the user's base currency
    if parsed.kind == "expense":
        return ExpenseCreate(category=parsed.category, **fields)
    return IncomeCreate(source=parsed.category, **fields)


async def undo(message: Message, session: AsyncSession, user: User) -> None:
    what = await chats.undo(session, user, message.chat.id)
    await session.commit()  # say it only once it is true
    await message.answer(texts.UNDONE.format(what=what) if what else texts.NOTHING_TO_UNDO)


async def entry(message: Message, session: AsyncSession, user: User, state: FSMContext) -> None:
    # Reads before the first write: on SQLite the write lock is held from then on.
    hints = await chats.hints(session, user)
    parsed = read_entry(message.text or "", user, hints)
    if isinstance(parsed, Unparsed):
        await message.answer(REFUSALS[parsed.reason])
        return
    recorded = await chats.record(session, user, message.chat.id, parsed)
    waiting = (await state.get_data()).get(PHOTO_WAITING)
    if waiting and recorded.kind == "expense":
        await documents.attach(session, user, waiting, recorded.object_id)
        await state.clear()
    await session.commit()  # say "saved" only once it is
    await answer_saved(message, user, recorded, hints.top)


async def answer_saved(message: Message, user: User, recorded: Recorded, top: list[str]) -> None:
    """What was saved, with buttons to re-file it under a top category, or undo it."""
    await message.answer(
        texts.saved(
            recorded.kind,
            recorded.amount,
            recorded.currency or user.currency,
            recorded.category,
            recorded.day,
            recorded.base_amount,
            user.currency,
        ),
        reply_markup=after_entry(
            recorded.entry_id, recorded.kind, recorded.object_id, recorded.category, top
        ),
    )


async def refile(query: CallbackQuery, session: AsyncSession, user: User) -> None:
    _, expense_id, category = (query.data or "").split(":", 2)
    if not expense_id.isdigit():
        await query.answer(texts.TOO_OLD_TO_CHANGE)
        return
    try:
        moved = await chats.refile(session, user, int(expense_id), category)
    except NotFound:
        await query.answer(texts.TOO_OLD_TO_CHANGE)
        return
    await session.commit()
    await query.answer(texts.REFILED.format(category=moved))
    if isinstance(query.message, Message) and query.message.text:
        head = query.message.text.split(" · ")
        if len(head) == 3:
            await query.message.edit_text(" · ".join([head[0], moved, head[2]]))


async def undo_button(query: CallbackQuery, session: AsyncSession, user: User) -> None:
    entry_id = (query.data or "").removeprefix("undo:")
    chat = query.message.chat.id if query.message else None
    if chat is None or not entry_id.isdigit():
        await query.answer(texts.TOO_OLD_TO_CHANGE)
        return
    what = await chats.undo(session, user, chat, int(entry_id))
    await session.commit()
    await query.answer(texts.UNDONE.format(what=what) if what else texts.TOO_OLD_TO_CHANGE)
    if what and isinstance(query.message, Message):
        await query.message.edit_text(texts.UNDONE.format(what=what))


def make_router() -> Router:
    """A fresh router: aiogram attaches a router to one dispatcher only."""
    router = Router(name="entries")
    router.message(Command("undo"))(undo)
    router.message(F.text & ~F.text.startswith("/"))(entry)
    router.callback_query(F.data.startswith("rf:"))(refile)
    router.callback_query(F.data.startswith("undo:"))(undo_button)
    return require_user(router)
