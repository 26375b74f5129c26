from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.filters import on_loop
from bot.keyboards import MAX_CALLBACK_BYTES, relink
from bot.middlewares import commands_only
from core.exceptions import Conflict, Invalid
from core.households import service as households
from core.telegram import service as chats

JOIN_PREFIX = "join-"  # the household invite link: t.me/<bot>?start=join-<code>
JOIN_YES = "hjoin:"  # + the code: the person said yes to joining
JOIN_NO = "hjoin-no"
JOIN_QUESTION = (
    "Join the household {name}? Its members will see the entries you share with it, "
    "and the shared expenses its members record from now on will be split with you."
)
JOIN_DECLINED = "You did not join. The invite still works until it expires."


def join_buttons(code: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text="Join", callback_data=f"{JOIN_YES}{code}"),
                InlineKeyboardButton(text="Cancel", callback_data=JOIN_NO),
            ]
        ]
    )


async def start(message: Message, command: CommandObject, session: AsyncSession) -> None:
    if command.args and command.args.startswith(JOIN_PREFIX):
        await ask_to_join(message, command.args.removeprefix(JOIN_PREFIX), session)
        return
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


async def ask_to_join(message: Message, code: str, session: AsyncSession) -> None:
    """An invite link opened in Telegram: nothing happens until the person presses Join
    (a link is one tap away from anyone: nobody joins a household, and takes a share of
    what it records, without saying so). Nothing is written, not even an account."""
    household = await households.invited_to(session, code)
    if household is None or len(f"{JOIN_YES}{code}".encode()) > MAX_CALLBACK_BYTES:
        await message.answer(texts.BAD_INVITE)
        return
    await message.answer(JOIN_QUESTION.format(name=household.name), reply_markup=join_buttons(code))


async def join_confirmed(query: CallbackQuery, session: AsyncSession) -> None:
    """Join pressed: the chat's account (made now if it has none) joins the household,
    if the code still holds."""
    code = (query.data or "").removeprefix(JOIN_YES)
    chat = query.message.chat.id if query.message else None
    if chat is None:
        await query.answer(texts.TOO_OLD_TO_CHANGE)
        return
    started = await chats.start(session, chat, None)
    try:
        household = await households.join(session, started.user, code)
    except (Invalid, Conflict) as refused:
        await session.rollback()  # nothing of a refused join is kept
        already = isinstance(refused, Conflict)
        answer = texts.IN_HOUSEHOLD_ALREADY if already else texts.BAD_INVITE
    else:
        await session.commit()
        answer = texts.JOINED_HOUSEHOLD.format(name=household.name)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(answer)


async def join_declined(query: CallbackQuery) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(JOIN_DECLINED)


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
    router.callback_query(on_loop(F.data.startswith("relink:")))(relink_confirmed)
    router.callback_query(on_loop(F.data == "relink-keep"))(relink_declined)
    router.callback_query(on_loop(F.data.startswith(JOIN_YES)))(join_confirmed)
    router.callback_query(on_loop(F.data == JOIN_NO))(join_declined)
    return commands_only(router)
