"""Telegram's `edited_message`: the entry that message made follows the edit.

Keyed by chat and message id, so a repeated edit (or a retried update) changes
nothing twice; an edit that no longer reads as an entry asks before deleting it.
"""

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.filters import on_loop
from bot.handlers.entries import Reply, ask_which, entry, read, save, to_schema
from bot.keyboards import confirm_forget
from bot.middlewares import RequireUser, require_user
from core.language.parsing import Ambiguous, ParsedEntry
from core.models import User
from core.telegram import service as chats


async def edited(message: Message, session: AsyncSession, user: User, state: FSMContext) -> Reply:
    made = await chats.entry_for_message(session, user, message.chat.id, message.message_id)
    if made is None:  # the message made nothing yet: read it as if it were new
        return await entry(message, session, user, state)
    hints = await chats.hints(session, user)
    reading = read(message.text or "", user, hints)
    if isinstance(reading, ParsedEntry) and reading.rrule is None:
        return await save(message, session, user, state, to_schema(reading), hints)
    elif isinstance(reading, Ambiguous):
        await ask_which(message, state, user, reading)  # the press updates the entry
    else:
        what = await chats.describe(session, user, made)
        if what is None:
            return None  # deleted elsewhere already: nothing left to follow the edit
        await message.answer(
            texts.NO_LONGER_AN_ENTRY.format(what=what), reply_markup=confirm_forget(made.id)
        )
    return None


async def forget(query: CallbackQuery, session: AsyncSession, user: User) -> None:
    entry_id = (query.data or "").removeprefix("forget:")
    if query.message is None or not entry_id.isdigit():
        await query.answer(texts.TOO_OLD_TO_CHANGE)
        return
    what = await chats.forget(session, user, query.message.chat.id, int(entry_id))
    await session.commit()
    if what is None:  # a second tap: deleted already
        await query.answer(texts.TOO_OLD_TO_CHANGE)
        return
    await query.answer(texts.DELETED.format(what=what))
    if isinstance(query.message, Message):
        await query.message.edit_text(texts.DELETED.format(what=what))


async def keep(query: CallbackQuery, session: AsyncSession, user: User) -> None:
    entry_id = (query.data or "").removeprefix("keep:")
    made = await chats.chat_entry(session, user, int(entry_id)) if entry_id.isdigit() else None
    what = await chats.describe(session, user, made) if made is not None else None
    await query.answer()
    if what is not None and isinstance(query.message, Message):
        await query.message.edit_text(texts.KEPT.format(what=what))


def make_router() -> Router:
    """A fresh router: aiogram attaches a router to one dispatcher only."""
    router = Router(name="edits")
    router.edited_message(on_loop(F.text))(edited)
    router.edited_message.middleware(RequireUser())
    router.callback_query(on_loop(F.data.startswith("forget:")))(forget)
    router.callback_query(on_loop(F.data.startswith("keep:")))(keep)
    return require_user(router)
