from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.keyboards import relink
from core.telegram import service as chats


async def start(message: Message, command: CommandObject, session: AsyncSession) -> None:
    started = await chats.start(session, message.chat.id, command.args)
    await session.commit()
    if started.outcome == "confirm" and started.other is not None and command.args:
        current, other = started.user.username, started.other.username
        await message.answer(
            texts.RELINK_QUESTION.format(current=current, other=other),
            reply_markup=relink(command.args, current, other),
        )
        return
    answers = {
        "created": texts.WELCOME,
        "existing": texts.WELCOME_BACK,
        "linked": texts.LINKED.format(username=started.user.username),
        "bad-code": texts.BAD_CODE,
    }
    await message.answer(answers[started.outcome])


async def relink_confirmed(query: CallbackQuery, session: AsyncSession) -> None:
    """The person said yes: move the chat to the code's account (if the code still holds)."""
    code = (query.data or "").removeprefix("relink:")
    chat = query.message.chat.id if query.message else None
    if chat is None:
        await query.answer(texts.TOO_OLD_TO_CHANGE)
        return
    started = await chats.start(session, chat, code, rebind=True)
    await session.commit()
    answer = (
        texts.LINKED.format(username=started.user.username)
        if started.outcome == "linked"
        else texts.BAD_CODE
    )
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(answer)


async def relink_declined(query: CallbackQuery, session: AsyncSession) -> None:
    chat = query.message.chat.id if query.message else None
    user = await chats.user_for_chat(session, chat) if chat is not None else None
    await query.answer()
    if user is not None and isinstance(query.message, Message):
        await query.message.edit_text(texts.RELINK_KEPT.format(current=user.username))


async def help_(message: Message) -> None:
    await message.answer(texts.HELP)


def make_router() -> Router:
    """A fresh router: aiogram attaches a router to one dispatcher only."""
    router = Router(name="start")
    router.message(CommandStart())(start)
    router.message(Command("help"))(help_)
    router.callback_query(F.data.startswith("relink:"))(relink_confirmed)
    router.callback_query(F.data == "relink-keep")(relink_declined)
    return router
