from aiogram import Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from core.telegram import service as chats


async def start(message: Message, command: CommandObject, session: AsyncSession) -> None:
    user, outcome = await chats.start(session, message.chat.id, command.args)
    await session.commit()
    answers = {
        "created": texts.WELCOME,
        "existing": texts.WELCOME_BACK,
        "linked": texts.LINKED.format(username=user.username),
        "bad-code": texts.BAD_CODE,
    }
    await message.answer(answers[outcome])


async def help_(message: Message) -> None:
    await message.answer(texts.HELP)


def make_router() -> Router:
    """A fresh router: aiogram attaches a router to one dispatcher only."""
    router = Router(name="start")
    router.message(CommandStart())(start)
    router.message(Command("help"))(help_)
    return router
