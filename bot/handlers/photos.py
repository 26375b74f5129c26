"""A receipt photo is stored as a document and attached to an expense.

Without a caption the photo is read first (SPEC section 9): a receipt becomes a draft
with Save / Change amount / Cancel; anything else (or no OCR engine) gets the old
question, what it was.
"""

from decimal import Decimal
from typing import TYPE_CHECKING, BinaryIO

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, texts
from bot.errors import AlreadyAnswered
from bot.filters import on_loop
from bot.handlers.entries import (
    PHOTO_WAITING,
    REFUSALS,
    Reply,
    answer_saved,
    entry,
    read_entry,
)
from bot.keyboards import after_entry
from bot.middlewares import require_user
from core.config import Settings
from core.documents import readings
from core.documents import service as documents
from core.documents.schemas import ReadingOut
from core.documents.sniff import SNIFF_BYTES, content_type_of
from core.exceptions import Invalid, NotFound, PayloadTooLarge, ServiceUnavailable
from core.expenses.schemas import ExpenseCreate
from core.expenses.service import expenses
from core.incomes.schemas import IncomeCreate
from core.language.parsing import CategoryHints, Unparsed, parse_amount
from core.models import User
from core.periods import local_today
from core.schemas import PositiveMoney
from core.telegram import service as chats
from storage import DocumentStore

if TYPE_CHECKING:  # loaded on the first photo (numpy, Pillow, PDFium), see readings
    from core.receipts import Reading

RECEIPT_DOCUMENT = "receipt_document_id"  # FSM data: the receipt whose amount is asked


class ReceiptDraft(StatesGroup):
    amount = State()  # Change amount was tapped: the next message is the amount


def _locale_hint(message: Message) -> str | None:
    """Telegram's language of the person: it tells 03/04 apart on a receipt. A bare "en"
    says nothing about that (Babel reads it as en_US, month first), so it is left out."""
    language = message.from_user.language_code if message.from_user else None
    return None if not language or language.lower() == "en" else language


async def _read(
    content: BinaryIO, user: User, locale_hint: str | None
) -> tuple[bool, "Reading | None"]:
    """(whether the photo was read at all, the receipt found). Not read: no OCR engine."""
    data = content.read()
    content.seek(0)
    try:
        reading = await readings.read_content(
            data, content_type_of(data[:SNIFF_BYTES]), user, locale_hint
        )
    except ServiceUnavailable:
        return False, None  # as before OCR: the bot asks what it was
    return True, reading


async def photo(
    message: Message,
    bot: Bot,
    session: AsyncSession,
    user: User,
    state: FSMContext,
    store: DocumentStore,
    settings: Settings,
) -> None:
    largest = max(message.photo or [], key=lambda size: size.width * size.height)
    # The download and the reading take seconds: the account was loaded, and no pooled
    # connection is held meanwhile (the next statement takes one again).
    await documents.release_connection(session)
    content = await bot.download(largest.file_id)
    if content is None:
        await message.answer(texts.APOLOGY)
        return

    expense_id: int | None = None
    caption_entry: ExpenseCreate | IncomeCreate | None = None
    recorded = None
    top: list[str] = []
    read, reading = False, None
    # Everything before the bytes are stored only reads: on SQLite the writer lock is
    # held from the first write to the commit, and storing is a network call (S3).
    if message.caption:
        hints = await chats.hints(session, user)
        top = hints.top
        parsed = read_entry(message.caption, user, hints)
        if isinstance(parsed, Unparsed):
            await message.answer(REFUSALS[parsed.reason])
            return
        caption_entry = parsed
    else:
        read, reading = await _read(content, user, _locale_hint(message))
        expense_id = await chats.expense_to_attach(session, message.chat.id)
        if reading is not None and expense_id is not None:
            recent = await expenses.get(session, user, expense_id)
            # The receipt of the expense just typed: attach it, as before. Another
            # receipt is a new expense, offered as a draft.
            if (recent.amount, user.currency) != (reading.total, reading.currency):
                expense_id = None

    try:  # with no pooled connection held (see store_new)
        document = await documents.store_new(
            session,
            store,
            user,
            content,
            f"receipt-{largest.file_unique_id}.jpg",
            settings.max_upload_bytes,
        )
    except PayloadTooLarge as error:
        await message.answer(texts.PHOTO_TOO_LARGE)
        raise AlreadyAnswered from error
    except ServiceUnavailable as error:
        await message.answer(texts.STORAGE_DOWN)
        raise AlreadyAnswered from error
    # One transaction for the entry from the caption and the document's row; if it
    # fails, the stored bytes are deleted.
    try:
        async with documents.undone_on_error(session, store, document):
            if caption_entry is not None:
                recorded = await chats.record(session, user, message.chat.id, caption_entry)
                expense_id = recorded.object_id if recorded.kind == "expense" else None
            document.expense_id = expense_id
            await documents.add(session, document)
            if read:
                await readings.keep(session, document, reading)  # the API serves it without OCR
            await session.commit()  # the replies below say it is saved
    except Invalid as error:  # the caption breaks a rule (no rate for its currency): as in text
        # Rolled back already (undone_on_error): no writer lock across this Telegram call.
        await message.answer(texts.NOT_SAVED.format(reason=error.message))
        raise AlreadyAnswered from error

    if recorded is not None:
        await answer_saved(message, user, recorded, top)
    elif expense_id is not None:
        expense = await expenses.get(session, user, expense_id)
        await message.answer(
            texts.PHOTO_SAVED.format(
                category=expense.category, amount=texts.money(expense.amount, user.currency)
            )
        )
    elif reading is not None:
        draft = texts.receipt_draft(
            reading.total,
            reading.currency,
            reading.merchant,
            reading.date,
            local_today(user.timezone),
        )
        await message.answer(
            texts.RECEIPT_DRAFT.format(draft=draft),
            reply_markup=keyboards.receipt_draft(document.id),
        )
    else:
        await state.update_data({PHOTO_WAITING: document.id})
        await message.answer(texts.PHOTO_ASK_AMOUNT)


async def _draft(
    session: AsyncSession, user: User, document_id: str
) -> tuple[ReadingOut | None, bool]:
    """(the stored reading of the user's document, whether it is already an expense's)."""
    try:
        document = await documents.get(session, user, document_id)
    except NotFound:
        return None, False
    return await readings.stored(session, document), document.expense_id is not None


async def _save(
    session: AsyncSession,
    user: User,
    chat_id: int,
    document_id: str,
    reading: ReadingOut,
    amount: Decimal | None,
) -> tuple[chats.Recorded, list[str]]:
    hints = await chats.hints(session, user)
    expense = await readings.expense_from(
        session, user, reading, CategoryHints(hints.categories, hints.words), amount
    )
    recorded = await chats.record(session, user, chat_id, expense)
    await documents.attach(session, user, document_id, recorded.object_id)
    return recorded, hints.top


async def save_button(
    query: CallbackQuery, session: AsyncSession, user: User, state: FSMContext
) -> None:
    document_id = (query.data or "").removeprefix("rcs:")
    reading, saved = await _draft(session, user, document_id)
    if reading is None or not isinstance(query.message, Message):
        await query.answer(texts.TOO_OLD_TO_CHANGE)
        return
    if saved:
        await query.answer(texts.RECEIPT_ALREADY_SAVED)
        return
    try:
        recorded, top = await _save(
            session, user, query.message.chat.id, document_id, reading, None
        )
    except Invalid:  # no rate for the receipt's currency that day: the person says the amount
        await _ask_amount(
            query,
            state,
            document_id,
            texts.RECEIPT_NO_RATE.format(currency=reading.currency, user_currency=user.currency),
        )
        return
    if (await state.get_data()).get(RECEIPT_DOCUMENT) == document_id:
        await state.clear()  # Change amount was tapped first, then Save after all
    await session.commit()
    await query.answer()
    # The draft becomes the saved entry, with the usual re-file and Undo buttons.
    await query.message.edit_text(
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


async def _ask_amount(
    query: CallbackQuery, state: FSMContext, document_id: str, question: str
) -> None:
    await state.set_state(ReceiptDraft.amount)
    await state.update_data({RECEIPT_DOCUMENT: document_id})
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(question)


async def change_button(
    query: CallbackQuery, session: AsyncSession, user: User, state: FSMContext
) -> None:
    document_id = (query.data or "").removeprefix("rca:")
    reading, saved = await _draft(session, user, document_id)
    if reading is None:
        await query.answer(texts.TOO_OLD_TO_CHANGE)
        return
    if saved:
        await query.answer(texts.RECEIPT_ALREADY_SAVED)
        return
    await _ask_amount(
        query, state, document_id, texts.RECEIPT_ASK_AMOUNT.format(currency=user.currency)
    )


_AMOUNT = TypeAdapter(PositiveMoney)


def _valid_amount(amount: Decimal) -> bool:
    """The checks an expense's amount gets (above zero, cents at most, 12 digits)."""
    try:
        _AMOUNT.validate_python(amount)
    except ValidationError:
        return False
    return True


def _amount_of(text: str, user: User) -> Decimal | None:
    """A bare number ("23.45", "23,45"), or the amount of an entry ("lunch 23.45")."""
    bare = parse_amount(text.strip())
    if bare is not None:
        return bare
    parsed = read_entry(text, user, chats.ChatHints(categories=(), words={}, top=[]))
    return None if isinstance(parsed, Unparsed) else parsed.amount


async def amount_given(
    message: Message, session: AsyncSession, user: User, state: FSMContext
) -> Reply:
    document_id = str((await state.get_data()).get(RECEIPT_DOCUMENT, ""))
    reading, saved = await _draft(session, user, document_id)
    if reading is None or saved:
        # That draft was settled (or deleted) meanwhile: the message is an ordinary entry.
        await state.clear()
        return await entry(message, session, user, state)
    amount = _amount_of(message.text or "", user)
    if amount is None or not _valid_amount(amount):
        return message.answer(texts.RECEIPT_AMOUNT_AGAIN)
    recorded, top = await _save(session, user, message.chat.id, document_id, reading, amount)
    await state.clear()
    await session.commit()
    return answer_saved(message, user, recorded, top)


async def cancel_button(
    query: CallbackQuery, session: AsyncSession, user: User, state: FSMContext
) -> None:
    document_id = (query.data or "").removeprefix("rcx:")
    reading, saved = await _draft(session, user, document_id)
    if reading is None or saved:
        await query.answer(texts.RECEIPT_ALREADY_SAVED if saved else texts.TOO_OLD_TO_CHANGE)
        return
    if (await state.get_data()).get(RECEIPT_DOCUMENT) == document_id:
        await state.clear()
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(texts.RECEIPT_CANCELLED)


def make_router() -> Router:
    """A fresh router: aiogram attaches a router to one dispatcher only."""
    router = Router(name="photos")
    router.message(on_loop(F.photo))(photo)
    # Before the entries router sees it: while an amount is asked, a number is that amount.
    router.message(StateFilter(ReceiptDraft.amount), on_loop(F.text & ~F.text.startswith("/")))(
        amount_given
    )
    router.callback_query(on_loop(F.data.startswith("rcs:")))(save_button)
    router.callback_query(on_loop(F.data.startswith("rca:")))(change_button)
    router.callback_query(on_loop(F.data.startswith("rcx:")))(cancel_button)
    return require_user(router)
