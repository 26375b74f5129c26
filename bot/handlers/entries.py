"""Plain text and the command forms (/add /expense /income /spent) become an expense or
an income, a question's answer, or a choice between readings; buttons re-file, undo
or choose."""

from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.methods import SendMessage
from aiogram.types import CallbackQuery, Message
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.filters import on_loop
from bot.handlers import questions, recurring
from bot.keyboards import after_entry, readings
from bot.middlewares import require_user
from core.documents import service as documents
from core.exceptions import Invalid, NotFound
from core.expenses.schemas import ExpenseCreate
from core.incomes.schemas import IncomeCreate
from core.language.parsing import (
    MAX_MESSAGE_CHARS,
    TOO_LONG,
    Ambiguous,
    CategoryHints,
    ParsedEntry,
    Question,
    Unparsed,
    parse_message,
    read_message,
)
from core.models import User
from core.periods import local_today
from core.telegram import service as chats
from core.telegram.service import ChatHints, Recorded, Revised

REFUSALS = {
    "no amount": texts.CANT_READ,
    "several amounts": texts.SEVERAL_AMOUNTS,
    "no category": texts.NO_CATEGORY,
    "amount out of range": texts.OUT_OF_RANGE,
    TOO_LONG: texts.TOO_LONG.format(limit=f"{MAX_MESSAGE_CHARS:,}"),
}
PHOTO_WAITING = "photo_document_id"  # FSM data: a receipt waiting for its amount
READINGS = "readings:{message_id}"  # FSM data: the readings of an ambiguous message
ENTRY_COMMANDS = ("add", "expense", "income", "spent", "spend", "safe")
Reading = ParsedEntry | Question | Ambiguous | Unparsed
# A handler's last reply, returned rather than sent: aiogram sends it after the update's
# transaction (long polling), or it goes back in the webhook's answer (api/routes/telegram.py).
Reply = SendMessage | None
SchemaT = TypeVar("SchemaT", bound=BaseModel)


def refusal(reason: str) -> str:
    """What to say when a message is not an entry, by the parser's reason."""
    if reason in REFUSALS:
        return REFUSALS[reason]
    if reason == "two currencies":
        return texts.TWO_CURRENCIES
    if reason.startswith("too many decimals for "):
        return texts.TOO_MANY_DECIMALS.format(
            currency=reason.removeprefix("too many decimals for ")
        )
    if reason == "a command":
        return texts.NOT_A_COMMAND
    if reason == "a question I cannot answer":
        return texts.QUESTION_UNKNOWN
    return texts.CANT_READ  # greetings, times, phone numbers, links: say what I do read


def _declared(schema: type[SchemaT], **fields: Any) -> SchemaT:
    # Currency and tags go only to schemas that take them (they arrive with other
    # branches); an empty one is left to the schema's default.
    return schema(
        **{
            name: value
            for name, value in fields.items()
            if name in schema.model_fields and value not in (None, [])
        }
    )


def to_schema(parsed: ParsedEntry) -> ExpenseCreate | IncomeCreate:
    """A parsed entry as core's own create schema."""
    fields = {
        "amount": parsed.amount,
        "date": parsed.date,
        "description": parsed.description,
        "currency": parsed.currency,
        "tags": list(parsed.tags),
    }
    if parsed.kind == "expense":
        return _declared(ExpenseCreate, category=parsed.category, **fields)
    return _declared(IncomeCreate, source=parsed.category, **fields)


def _hints(hints: ChatHints) -> CategoryHints:
    return CategoryHints(categories=hints.categories, words=hints.words)


def read_entry(text: str, user: User, hints: ChatHints) -> ExpenseCreate | IncomeCreate | Unparsed:
    """For a photo's caption: one-off entries only, refusals among REFUSALS."""
    parsed = parse_message(text, local_today(user.timezone), _hints(hints), user.currency)
    return parsed if isinstance(parsed, Unparsed) else to_schema(parsed)


def read(text: str, user: User, hints: ChatHints) -> Reading:
    """Everything a chat message can be (core.language.read_message)."""
    return read_message(text, local_today(user.timezone), _hints(hints), user.currency)


async def undo(message: Message, session: AsyncSession, user: User) -> None:
    what = await chats.undo(session, user, message.chat.id)
    await session.commit()  # say it only once it is true
    await message.answer(texts.UNDONE.format(what=what) if what else texts.NOTHING_TO_UNDO)


async def entry(message: Message, session: AsyncSession, user: User, state: FSMContext) -> Reply:
    # Reads before the first write: on SQLite the write lock is held from then on.
    hints = await chats.hints(session, user, message.chat.id, message.message_id)
    reading = read(message.text or "", user, hints)
    return await respond(message, session, user, state, reading, hints)


async def respond(
    message: Message,
    session: AsyncSession,
    user: User,
    state: FSMContext,
    reading: Reading,
    hints: ChatHints,
) -> Reply:
    """Record, answer, ask or refuse, for a new message or an edited one."""
    if isinstance(reading, Question):
        await questions.answer(message, session, user, reading)
    elif isinstance(reading, Ambiguous):
        await ask_which(message, state, user, reading)
    elif isinstance(reading, Unparsed):
        return message.answer(refusal(reading.reason))
    elif reading.rrule is not None:
        await recurring.ask(message, user, state, reading)
    else:
        return await save(message, session, user, state, to_schema(reading), hints)
    return None


async def save(
    message: Message,
    session: AsyncSession,
    user: User,
    state: FSMContext,
    entry: ExpenseCreate | IncomeCreate,
    hints: ChatHints,
) -> Reply:
    try:
        revised = await chats.record_for_message(
            session, user, message.chat.id, message.message_id, entry, hints
        )
    except NotFound:
        return message.answer(texts.TOO_OLD_TO_CHANGE)
    except Invalid as error:
        return message.answer(texts.NOT_SAVED.format(reason=error.message))
    recorded = revised.recorded
    data = await state.get_data()
    waiting = data.get(PHOTO_WAITING)
    if revised.outcome == "created" and waiting and recorded.kind == "expense":
        await documents.attach(session, user, waiting, recorded.object_id)
        await state.update_data({PHOTO_WAITING: None})
    if READINGS.format(message_id=message.message_id) in data:
        # Edited from two readings into one: the old buttons must not overwrite it.
        await forget_readings(state, message.message_id)
    await session.commit()  # say "saved" only once it is
    if revised.outcome == "created":
        return answer_saved(message, user, recorded, hints.top)
    return message.answer(revision_text(revised, user))


def revision_text(revised: Revised, user: User) -> str:
    recorded = revised.recorded
    line = texts.entry_line(recorded.amount, user.currency, recorded.category, recorded.day)
    if revised.outcome == "unchanged":
        return texts.UNCHANGED.format(what=line)
    return texts.UPDATED.format(what=line)


def answer_saved(message: Message, user: User, recorded: Recorded, top: list[str]) -> SendMessage:
    """What was saved, with buttons to re-file it under a top category, or undo it
    (to be sent, or returned as the handler's reply)."""
    return message.answer(
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


def _stored(entry: ParsedEntry) -> dict[str, Any]:
    """A reading as JSON for the FSM storage (Redis keeps JSON)."""
    return {
        "kind": entry.kind,
        "amount": str(entry.amount),
        "category": entry.category,
        "date": entry.date.isoformat(),
        "description": entry.description,
        "currency": entry.currency,
        "tags": list(entry.tags),
    }


def _restored(data: dict[str, Any]) -> ParsedEntry:
    return ParsedEntry(
        kind=data["kind"],
        amount=Decimal(data["amount"]),
        category=data["category"],
        date=date.fromisoformat(data["date"]),
        description=data["description"],
        currency=data["currency"],
        tags=tuple(data["tags"]),
    )


def reading_label(entry: ParsedEntry, user: User) -> str:
    currency = entry.currency or user.currency
    line = texts.entry_line(entry.amount, currency, entry.category, entry.date.isoformat())
    return line if entry.kind == "expense" else f"income {line}"


async def ask_which(message: Message, state: FSMContext, user: User, ambiguous: Ambiguous) -> None:
    """One button per reading; nothing is recorded until one is pressed."""
    if any(entry.rrule for entry in ambiguous.readings):
        await message.answer(texts.RECURRING_AMBIGUOUS)
        return
    key = READINGS.format(message_id=message.message_id)
    await state.update_data({key: [_stored(entry) for entry in ambiguous.readings]})
    await message.answer(
        texts.WHICH_READING,
        reply_markup=readings(
            message.message_id, [reading_label(entry, user) for entry in ambiguous.readings]
        ),
    )


async def forget_readings(state: FSMContext, message_id: int) -> None:
    data = await state.get_data()
    data.pop(READINGS.format(message_id=message_id), None)
    await state.set_data(data)


async def pick(query: CallbackQuery, session: AsyncSession, user: User, state: FSMContext) -> None:
    """Record exactly the reading pressed, once: the message's id keys the entry."""
    _, message_id, index = (query.data or "").split(":", 2)
    key = READINGS.format(message_id=message_id)
    stored = (await state.get_data()).get(key) or []
    if query.message is None or not message_id.isdigit() or not index.isdigit():
        await query.answer(texts.TOO_OLD_TO_CHANGE)
        return
    if int(index) >= len(stored):
        await query.answer(texts.CHOSEN_ALREADY)
        return
    hints = await chats.hints(session, user)
    try:
        revised = await chats.record_for_message(
            session,
            user,
            query.message.chat.id,
            int(message_id),
            to_schema(_restored(stored[int(index)])),
        )
    except NotFound:
        await query.answer(texts.TOO_OLD_TO_CHANGE)
        return
    except Invalid as error:
        await query.answer(texts.NOT_SAVED.format(reason=error.message))
        return
    await session.commit()
    await forget_readings(state, int(message_id))
    await query.answer()
    recorded = revised.recorded
    if isinstance(query.message, Message):
        text = (
            texts.saved(
                recorded.kind, recorded.amount, user.currency, recorded.category, recorded.day
            )
            if revised.outcome == "created"
            else revision_text(revised, user)
        )
        await query.message.edit_text(
            text,
            reply_markup=after_entry(
                recorded.entry_id, recorded.kind, recorded.object_id, recorded.category, hints.top
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
    # Plain text first: the busiest handler by far, and no command starts without "/",
    # so it is matched without parsing the text as a command twice.
    router.message(on_loop(F.text & ~F.text.startswith("/")))(entry)
    router.message(Command("undo"))(undo)
    router.message(Command(*ENTRY_COMMANDS))(entry)
    router.callback_query(on_loop(F.data.startswith("rf:")))(refile)
    router.callback_query(on_loop(F.data.startswith("undo:")))(undo_button)
    router.callback_query(on_loop(F.data.startswith("pick:")))(pick)
    return require_user(router)
