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

# Rows per step in chat: a file longer than this gets a progress message, edited each step.
PROGRESS_STEP = 250
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
    content: BinaryIO | None = await bot.download(document.file_id)
    if content is None:
        await message.answer(texts.APOLOGY)
        return
    progress_message: list[Message] = []

    async def progress(done: int, known: int) -> None:
        if known <= done:  # the last step: the counts follow
            return
        text = texts.STATEMENT_PROGRESS.format(done=done)
        if progress_message:
            await progress_message[0].edit_text(text)
        else:
            progress_message.append(await message.answer(text))

    try:
        imported = await imports.import_statement(
            session,
            user,
            content,
            document.file_name,
            settings.max_upload_bytes,
            imports.ImportOptions(),
            progress,
            step_rows=PROGRESS_STEP,
        )
    except PayloadTooLarge as error:
        await message.answer(texts.STATEMENT_TOO_LARGE)
        raise AlreadyAnswered from error
    except Invalid as error:
        await message.answer(texts.STATEMENT_UNREADABLE.format(reason=error.message))
        raise AlreadyAnswered from error  # roll back whatever the import began
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
