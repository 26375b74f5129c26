"""A receipt photo is stored as a document and attached to an expense."""

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.errors import AlreadyAnswered
from bot.handlers.entries import PHOTO_WAITING, REFUSALS, answer_saved, read_entry
from bot.middlewares import require_user
from core.config import Settings
from core.documents import service as documents
from core.exceptions import PayloadTooLarge, ServiceUnavailable
from core.expenses.service import expenses
from core.language.parsing import Unparsed
from core.models import User
from core.telegram import service as chats
from storage import DocumentStore


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
    content = await bot.download(largest.file_id)
    if content is None:
        await message.answer(texts.APOLOGY)
        return

    expense_id: int | None = None
    recorded = None
    top: list[str] = []
    if message.caption:
        hints = await chats.hints(session, user)
        top = hints.top
        parsed = read_entry(message.caption, user, hints)
        if isinstance(parsed, Unparsed):
            await message.answer(REFUSALS[parsed.reason])
            return
        recorded = await chats.record(session, user, message.chat.id, parsed)
        expense_id = recorded.object_id if recorded.kind == "expense" else None
    else:
        expense_id = await chats.expense_to_attach(session, message.chat.id)

    try:
        document = await documents.upload(
            session,
            store,
            user,
            content,
            f"receipt-{largest.file_unique_id}.jpg",
            settings.max_upload_bytes,
            expense_id,
        )
    except PayloadTooLarge as error:
        await message.answer(texts.PHOTO_TOO_LARGE)
        raise AlreadyAnswered from error  # roll back the entry from the caption too
    except ServiceUnavailable as error:
        await message.answer(texts.STORAGE_DOWN)
        raise AlreadyAnswered from error

    await session.commit()  # the replies below say it is saved
    if recorded is not None:
        await answer_saved(message, user, recorded, top)
    elif expense_id is not None:
        expense = await expenses.get(session, user, expense_id)
        await message.answer(
            texts.PHOTO_SAVED.format(
                category=expense.category, amount=texts.money(expense.amount, user.currency)
            )
        )
    else:
        await state.update_data({PHOTO_WAITING: document.id})
        await message.answer(texts.PHOTO_ASK_AMOUNT)


def make_router() -> Router:
    """A fresh router: aiogram attaches a router to one dispatcher only."""
    router = Router(name="photos")
    router.message(F.photo)(photo)
    return require_user(router)
