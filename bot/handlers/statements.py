"""A bank statement sent as a document is imported; long ones show their progress."""

from typing import BinaryIO

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.errors import AlreadyAnswered
from bot.filters import on_loop
from bot.middlewares import require_user
from core.config import Settings
from core.exceptions import Invalid, NotFound, PayloadTooLarge
from core.imports import service as imports
from core.models import User

# A file with more rows than this gets a progress message once read, edited into the counts.
PROGRESS_STEP = 250
# texts.py has no words for it yet: every statement reader busy.
BUSY = "I'm reading other statements right now; nothing was saved. Please send it again shortly."
UNDO_PREFIX = "imp-undo:"


def undo_button(import_id: int) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text="↩ Undo import", callback_data=f"{UNDO_PREFIX}{import_id}")
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


async def statement(
    message: Message, bot: Bot, session: AsyncSession, user: User, settings: Settings
) -> None:
    document = message.document
    if document is None:
        return
    if document.file_size is not None and document.file_size > settings.max_upload_bytes:
        await message.answer(texts.STATEMENT_TOO_LARGE)
        return
    # The download and the reading hold no pooled connection: the account is loaded.
    if session.in_transaction():
        await session.commit()
    content: BinaryIO | None = await bot.download(document.file_id)
    if content is None:
        await message.answer(texts.APOLOGY)
        return
    progress_message: list[Message] = []

    async def on_read(rows: int) -> None:
        # Sent between reading and writing, when no transaction (nor SQLite's writer lock)
        # is open: a network call never holds up other writers.
        if rows > PROGRESS_STEP:
            progress_message.append(
                await message.answer(texts.STATEMENT_PROGRESS.format(done=rows))
            )

    try:
        imported = await imports.import_statement(
            session,
            user,
            content,
            document.file_name,
            settings.max_upload_bytes,
            imports.ImportOptions(),
            on_read=on_read,
        )
    except (PayloadTooLarge, Invalid, imports.ReadersBusy) as error:
        # Whatever the import began is rolled back before the answer goes over the network.
        await session.rollback()
        if isinstance(error, PayloadTooLarge):
            await message.answer(texts.STATEMENT_TOO_LARGE)
        elif isinstance(error, Invalid):
            await message.answer(texts.STATEMENT_UNREADABLE.format(reason=error.message))
        else:
            await message.answer(BUSY)
        raise AlreadyAnswered from error
    await session.commit()  # the counts below say it is saved
    text = texts.imported(
        imported.expenses,
        imported.incomes,
        imported.duplicates,
        [failure["line"] for failure in imported.failed],
    )
    keyboard = undo_button(imported.id) if imported.expenses + imported.incomes else None
    if progress_message:
        await progress_message[0].edit_text(text, reply_markup=keyboard)
    else:
        await message.answer(text, reply_markup=keyboard)


async def undo_import(query: CallbackQuery, session: AsyncSession, user: User) -> None:
    import_id = (query.data or "").removeprefix(UNDO_PREFIX)
    if not import_id.isdigit():
        await query.answer(texts.STATEMENT_GONE)
        return
    try:
        imported = await imports.get(session, user, int(import_id))
        counts = (imported.expenses, imported.incomes)
        await imports.undo(session, user, int(import_id))
    except NotFound:
        await query.answer(texts.STATEMENT_GONE)
        return
    await session.commit()
    text = texts.STATEMENT_UNDONE.format(expenses=counts[0], incomes=counts[1])
    await query.answer(text)
    if isinstance(query.message, Message):
        await query.message.edit_text(text)


def make_router() -> Router:
    """A fresh router: aiogram attaches a router to one dispatcher only."""
    router = Router(name="statements")
    router.message(on_loop(F.document))(statement)
    router.callback_query(on_loop(F.data.startswith(UNDO_PREFIX)))(undo_import)
    return require_user(router)
