"""A household's Telegram group (SPEC 8): /household binds the group, members write
their shared entries there as in private, /balance and /settle.

People talk in a group, so only what reads as an entry gets an answer: small talk,
questions and anything the parser refuses get none. An entry that needs a question
(two readings) is asked with buttons that only its sender may press; a recurring
one is sent to the private chat, where the rule is set up.
"""

import re
from decimal import Decimal, InvalidOperation

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.types import User as TelegramUser
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.filters import on_loop
from bot.handlers.entries import (
    ENTRY_COMMANDS,
    READINGS,
    Reading,
    _restored,
    _stored,
    forget_readings,
    read,
    reading_label,
    revision_text,
    to_schema,
)
from bot.keyboards import MAX_CALLBACK_BYTES
from core.currencies.codes import CURRENCY_EXPONENTS
from core.exceptions import Invalid, NotFound
from core.households import chats as groups
from core.households.balances import household_balances, record_settlement
from core.language.parsing import (
    MAX_MESSAGE_CHARS,
    Ambiguous,
    ParsedEntry,
    Unparsed,
    read_message,
)
from core.models import Household, User
from core.periods import local_today
from core.telegram import service as chats
from core.telegram.service import ChatHints, Revised

GROUPS = {"group", "supergroup"}
# In a group people arrange their day: "see you at 7", "back by 9". The parser reads a
# bare number after such a word as an amount (a private chat is written to the bot);
# here it is a time, and the message is talk.
TIME_TALK = re.compile(r"\b(at|around|by|until|till|before|after|from)\s+\d{1,2}(?![\d.,])", re.I)
ADMINS = {"administrator", "creator"}
UNBIND = "unbind"
# Said to someone who is not a member of the group's household: nothing of it (its
# name, its id) is theirs to learn from the group.
GROUP_NOT_FOR_YOU = (
    "That is for the members of this group's household. Ask a member for an invite, "
    "and join with its code."
)
GROUP_NOT_A_MEMBER_HERE = (
    "You are not a member of this group's household, so I saved nothing. Ask a member "
    "for an invite, and join with its code."
)
GROUP_OWNER_BINDS = (
    "Only the owner of {household} ({owner}) can make a group its chat. To keep a "
    "household of your own here, create one in the app and send /household <its name>."
)
GROUP_OWNER_UNBINDS = "Only the owner of {household} ({owner}) can unbind it from this group."
GROUP_UNBOUND = (
    "This group is no longer the chat of the household {household}: I read nothing here "
    "any more. Its owner can send /household here again."
)
GROUP_SETTLE_WHICH = (
    "Several members answer to {name}: {people}. Mention the one you mean (tap their "
    "name), or write their @name that nobody else has."
)
GROUP_TOO_LONG = texts.TOO_LONG.format(limit=f"{MAX_MESSAGE_CHARS:,}")


async def bot_link(bot: Bot) -> str:
    me = await bot.me()
    return f"https://t.me/{me.username}"


def display_name(user: User) -> str:
    return f"@{user.telegram_username}" if user.telegram_username else user.username


def sender_name(sender: TelegramUser | None) -> str:
    if sender is None:
        return "someone"
    return f"@{sender.username}" if sender.username else sender.first_name


async def sees_plain_messages(bot: Bot, chat_id: int) -> bool:
    """Whether Telegram sends this bot the group's plain messages: privacy mode off
    (getMe, asked afresh: it changes in BotFather), or the bot is an admin."""
    try:
        me = await bot.get_me()
        if me.can_read_all_group_messages:
            return True
        member = await bot.get_chat_member(chat_id, me.id)
    except TelegramAPIError:
        return True  # cannot tell: say nothing rather than something wrong
    return member.status in ADMINS


async def household_command(
    message: Message, command: CommandObject, session: AsyncSession, user: User | None, bot: Bot
) -> None:
    if user is None:
        await message.reply(texts.GROUP_UNLINKED.format(link=await bot_link(bot)))
        return
    await remember(session, user, message)
    if (command.args or "").strip().lower() == UNBIND:
        await unbind(message, session, user)
        return
    bound = await groups.bind_chat(session, user, message.chat.id, message.chat.title, command.args)
    await session.commit()
    household = bound.household
    if bound.outcome == "already" and not bound.member:
        await message.reply(GROUP_NOT_FOR_YOU)
        return
    if bound.outcome == "not-owner" and household is not None:
        owner = display_name(bound.owner) if bound.owner else "someone else"
        await message.reply(GROUP_OWNER_BINDS.format(household=household.name, owner=owner))
        return
    if bound.outcome == "no-such" or household is None:
        choices = (
            texts.GROUP_CHOICES.format(names=", ".join(bound.choices))
            if bound.choices
            else texts.GROUP_NO_CHOICES
        )
        await message.reply(texts.GROUP_NO_SUCH.format(name=command.args, choices=choices))
        return
    answers = {
        "already": texts.GROUP_ALREADY,
        "created": texts.GROUP_CREATED,
        "bound": texts.GROUP_BOUND,
    }
    answer = answers[bound.outcome].format(household=household.name, id=household.id)
    if not await sees_plain_messages(bot, message.chat.id):
        answer += texts.GROUP_PRIVACY
    await message.reply(answer)


async def unbind(message: Message, session: AsyncSession, user: User) -> None:
    """`/household unbind`: the owner takes the household out of this group."""
    unbound = await groups.unbind_chat(session, user, message.chat.id)
    await session.commit()
    household = unbound.household
    if unbound.outcome == "not-bound":
        await message.reply(texts.GROUP_NOT_BOUND)
    elif unbound.outcome == "not-member" or household is None:
        await message.reply(GROUP_NOT_FOR_YOU)
    elif unbound.outcome == "not-owner":
        owner = display_name(unbound.owner) if unbound.owner else "someone else"
        await message.reply(GROUP_OWNER_UNBINDS.format(household=household.name, owner=owner))
    else:
        await message.reply(GROUP_UNBOUND.format(household=household.name))


async def remember(session: AsyncSession, user: User, message: Message) -> None:
    sender = message.from_user
    await groups.remember_username(session, user, sender.username if sender else None)


async def household_for(
    message: Message, session: AsyncSession, user: User | None, bot: Bot
) -> Household | None:
    """The group's household when the sender is one of its members; otherwise None,
    after saying why (for commands: they were addressed to the bot)."""
    household = await groups.household_of_chat(session, message.chat.id)
    if household is None:
        await message.reply(texts.GROUP_NOT_BOUND)
        return None
    if user is None:
        await message.reply(texts.GROUP_UNLINKED.format(link=await bot_link(bot)))
        return None
    if not await groups.is_member(session, household, user):
        await remember(session, user, message)
        await message.reply(GROUP_NOT_FOR_YOU)
        return None
    return household


async def balance(message: Message, session: AsyncSession, user: User | None, bot: Bot) -> None:
    household = await household_for(message, session, user, bot)
    if household is None or user is None:
        return
    balances = await household_balances(session, household)
    await remember(session, user, message)  # after the sums: on SQLite a write locks
    names = {member.id: display_name(member) for member in await groups.members(session, household)}
    if not balances.transfers:
        await message.reply(texts.GROUP_ALL_SETTLED.format(household=household.name))
        return
    lines = [texts.GROUP_BALANCE_HEAD.format(household=household.name, currency=balances.currency)]
    lines += [
        texts.GROUP_BALANCE_LINE.format(
            debtor=names.get(transfer.from_user_id, f"#{transfer.from_user_id}"),
            creditor=names.get(transfer.to_user_id, f"#{transfer.to_user_id}"),
            amount=texts.money(transfer.amount, balances.currency),
        )
        for transfer in balances.transfers
    ]
    await message.reply("\n".join(lines))


def settle_arguments(message: Message, args: str | None) -> tuple[str | None, int | None, str]:
    """The payee as an @name, or as a mention of someone without one (their Telegram
    id), and the amount's text: `/settle @name 20`, `/settle 20 @name`."""
    mentioned = next(
        (
            entity.user.id
            for entity in message.entities or []
            if entity.type == "text_mention" and entity.user is not None
        ),
        None,
    )
    words = (args or "").split()
    name = next((word for word in words if word.startswith("@")), None)
    others = [word for word in words if word != name]
    if mentioned is not None:
        others = others[-1:]  # a mention is a name of any words: the amount comes last
    return name, mentioned, " ".join(others)


def parse_amount(text: str) -> Decimal | None:
    try:
        amount = Decimal(text.replace(",", ".").strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def amount_problem(amount: Decimal, currency: str) -> str | None:
    if amount <= 0:
        return "it must be more than 0"
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    if amount != round(amount, exponent):
        return f"{currency} has {exponent} decimals"
    return None


async def settle(
    message: Message, command: CommandObject, session: AsyncSession, user: User | None, bot: Bot
) -> None:
    household = await household_for(message, session, user, bot)
    if household is None or user is None:
        return
    name, mentioned, amount_text = settle_arguments(message, command.args)
    amount = parse_amount(amount_text)
    if (name is None and mentioned is None) or amount is None:
        await message.reply(texts.GROUP_SETTLE_USAGE)
        return
    problem = amount_problem(amount, household.currency)
    if problem is not None:
        await message.reply(
            texts.GROUP_SETTLE_BAD_AMOUNT.format(amount=amount_text, reason=problem)
        )
        return
    people = await groups.members(session, household)
    try:
        payee = (
            await chats.user_for_chat(session, mentioned)
            if mentioned is not None
            else await groups.member_named(session, household, name or "")
        )
        if payee is None:
            raise NotFound("member")
    except groups.AmbiguousMember as ambiguous:
        people_named = ", ".join(
            f"{display_name(p)} (finbot: {p.username})" for p in ambiguous.people
        )
        await message.reply(GROUP_SETTLE_WHICH.format(name=name, people=people_named))
        return
    except NotFound:
        await message.reply(
            texts.GROUP_SETTLE_UNKNOWN.format(
                name=name or "them", names=", ".join(display_name(p) for p in people)
            )
        )
        return
    except Invalid:
        await message.reply(texts.GROUP_SETTLE_STRANGER.format(name=name, household=household.name))
        return
    if payee.id == user.id:
        await message.reply(texts.GROUP_SETTLE_SELF)
        return
    if payee.id not in {p.id for p in people}:
        await message.reply(
            texts.GROUP_SETTLE_STRANGER.format(name=display_name(payee), household=household.name)
        )
        return
    await remember(session, user, message)
    try:
        settlement = await record_settlement(session, household, user, user.id, payee.id, amount)
    except Invalid as error:
        await session.rollback()
        await message.reply(
            texts.GROUP_SETTLE_BAD_AMOUNT.format(amount=amount_text, reason=error.message)
        )
        return
    await session.commit()
    await message.reply(
        texts.GROUP_SETTLED.format(
            payer=display_name(user),
            payee=display_name(payee),
            amount=texts.money(settlement.amount, settlement.currency),
        )
    )


async def added(message: Message, bot: Bot) -> None:
    """The bot joined a group: say what comes next (and whether it can read the group)."""
    me = await bot.me()
    if not any(member.id == me.id for member in message.new_chat_members or []):
        return
    hello = texts.GROUP_HELLO
    if not await sees_plain_messages(bot, message.chat.id):
        hello += texts.GROUP_PRIVACY
    await message.answer(hello)


async def group_help(message: Message) -> None:
    await message.reply(texts.GROUP_HELP)


async def migrated(message: Message, session: AsyncSession) -> None:
    """The group became a supergroup: its household follows it to the new id."""
    if message.migrate_to_chat_id is not None:
        await groups.move_chat(session, message.chat.id, message.migrate_to_chat_id)
        await session.commit()


def group_reading(text: str, user: User | None, hints: ChatHints | None) -> Reading:
    """What a group message reads as (for a sender without an account: what it would
    have been for them); talk about times is no entry."""
    if TIME_TALK.search(text):
        return Unparsed("a time")
    if user is None or hints is None:
        return read_message(text, local_today("UTC"))
    return read(text, user, hints)


async def entry(
    message: Message, session: AsyncSession, user: User | None, state: FSMContext, bot: Bot
) -> None:
    household = await groups.household_of_chat(session, message.chat.id)
    if household is None:
        return  # not a household's group (yet): its talk is none of ours
    text = message.text or ""
    if len(text) > MAX_MESSAGE_CHARS:
        # Never read: a member is told why nothing was recorded; anyone else, nothing.
        if user is not None and await groups.is_member(session, household, user):
            await message.reply(GROUP_TOO_LONG)
        return
    # First without any query: most of a group's messages are talk.
    if not isinstance(group_reading(text, None, None), ParsedEntry | Ambiguous):
        if user is not None:
            await remember(session, user, message)  # committed as the update ends
        return
    if user is None:
        await message.reply(texts.GROUP_UNLINKED_ENTRY.format(link=await bot_link(bot)))
        return
    # Reads before the first write: on SQLite the write lock is held from then on.
    hints = await chats.hints(session, user)
    reading = group_reading(text, user, hints)
    member = await groups.is_member(session, household, user)
    await remember(session, user, message)
    if not isinstance(reading, ParsedEntry | Ambiguous):
        return  # refused with the sender's own currency, say: no answer in a group
    if not member:
        await session.commit()
        await message.reply(GROUP_NOT_A_MEMBER_HERE)
        return
    if isinstance(reading, Ambiguous):
        await ask_which(message, state, user, reading)
    elif reading.rrule is not None:
        await message.reply(texts.GROUP_NO_RECURRING)
    else:
        await save(message, session, user, household, reading, hints.top)


async def save(
    message: Message,
    session: AsyncSession,
    user: User,
    household: Household,
    reading: ParsedEntry,
    top: list[str],
) -> None:
    shared = to_schema(reading).model_copy(update={"household_id": household.id})
    try:
        revised = await chats.record_for_message(
            session, user, message.chat.id, message.message_id, shared
        )
    except NotFound:
        await message.reply(texts.TOO_OLD_TO_CHANGE)
        return
    except Invalid as error:
        await message.reply(texts.NOT_SAVED.format(reason=error.message))
        return
    await session.commit()  # say "saved" only once it is
    if revised.outcome != "created":  # an edited message, or the same update again
        await message.reply(
            texts.GROUP_SAVED.format(
                who=sender_name(message.from_user), saved=revision_text(revised, user)
            )
        )
        return
    await message.reply(
        saved_text(revised, user, message.from_user),
        reply_markup=after_entry(revised, message.from_user, top),
    )


async def edited(message: Message, session: AsyncSession, user: User | None) -> None:
    """A member edited a message: its entry follows the new text (one is recorded if
    the message had none). A message edited into no entry keeps its entry, silently:
    its Undo button is still under the bot's answer."""
    household = await groups.household_of_chat(session, message.chat.id)
    if household is None or user is None or not await groups.is_member(session, household, user):
        return
    if len(message.text or "") > MAX_MESSAGE_CHARS:
        return  # its entry stays as it was; an edit gets no answer
    hints = await chats.hints(session, user)
    reading = group_reading(message.text or "", user, hints)
    if isinstance(reading, ParsedEntry) and reading.rrule is None:
        await save(message, session, user, household, reading, hints.top)


def saved_text(revised: Revised, user: User, sender: TelegramUser | None) -> str:
    recorded = revised.recorded
    return texts.GROUP_SAVED.format(
        who=sender_name(sender),
        saved=texts.saved(
            recorded.kind,
            recorded.amount,
            recorded.currency or user.currency,
            recorded.category,
            recorded.day,
            recorded.base_amount,
            user.currency,
        ),
    )


def after_entry(
    revised: Revised, sender: TelegramUser | None, top: list[str]
) -> InlineKeyboardMarkup:
    """Re-file and Undo, as in private, for the sender only: their Telegram id rides in
    each button, so a tap by anyone else is refused before anything is looked up."""
    recorded = revised.recorded
    owner = sender.id if sender else 0
    rows: list[list[InlineKeyboardButton]] = []
    if recorded.kind == "expense":
        buttons = [
            InlineKeyboardButton(text=category, callback_data=data)
            for category in top
            if category.lower() != recorded.category.lower()
            and len((data := f"hr:{owner}:{recorded.object_id}:{category}").encode())
            <= MAX_CALLBACK_BYTES
        ]
        rows += [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    undo = InlineKeyboardButton(text="↩ Undo", callback_data=f"hu:{owner}:{recorded.entry_id}")
    rows.append([undo])
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def ask_which(message: Message, state: FSMContext, user: User, ambiguous: Ambiguous) -> None:
    """One button per reading, for the sender only; nothing is recorded until one is
    pressed. The readings wait in the sender's own FSM data in this group."""
    if any(reading.rrule for reading in ambiguous.readings):
        await message.reply(texts.GROUP_NO_RECURRING)
        return
    owner = message.from_user.id if message.from_user else 0
    await state.update_data(
        {READINGS.format(message_id=message.message_id): [_stored(r) for r in ambiguous.readings]}
    )
    buttons = [
        [
            InlineKeyboardButton(
                text=reading_label(reading, user),
                callback_data=f"hp:{owner}:{message.message_id}:{index}",
            )
        ]
        for index, reading in enumerate(ambiguous.readings)
    ]
    await message.reply(
        texts.WHICH_READING, reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons)
    )


def pressed(query: CallbackQuery) -> tuple[str, list[str]] | None:
    """The parts of a group button's data after its owner, when the owner pressed it."""
    parts = (query.data or "").split(":", 2)
    if len(parts) != 3 or parts[1] != str(query.from_user.id):
        return None
    return parts[1], parts[2].split(":")


async def not_yours(query: CallbackQuery) -> None:
    await query.answer(texts.GROUP_NOT_YOURS, show_alert=True)


async def pick(
    query: CallbackQuery, session: AsyncSession, user: User | None, state: FSMContext
) -> None:
    parts = pressed(query)
    if parts is None:
        await not_yours(query)
        return
    _, (message_id, index, *_) = parts
    key = READINGS.format(message_id=message_id)
    stored = (await state.get_data()).get(key) or []
    chat = query.message.chat.id if query.message else None
    household = await groups.household_of_chat(session, chat) if chat is not None else None
    if user is None or chat is None or household is None or not (message_id + index).isdigit():
        await query.answer(texts.TOO_OLD_TO_CHANGE)
        return
    if int(index) >= len(stored):
        await query.answer(texts.CHOSEN_ALREADY)
        return
    hints = await chats.hints(session, user)
    reading = _restored(stored[int(index)])
    shared = to_schema(reading).model_copy(update={"household_id": household.id})
    try:
        revised = await chats.record_for_message(session, user, chat, int(message_id), shared)
    except NotFound:
        await query.answer(texts.TOO_OLD_TO_CHANGE)
        return
    except Invalid as error:
        await query.answer(texts.NOT_SAVED.format(reason=error.message))
        return
    await session.commit()
    await forget_readings(state, int(message_id))
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(
            saved_text(revised, user, query.from_user),
            reply_markup=after_entry(revised, query.from_user, hints.top),
        )


async def undo(query: CallbackQuery, session: AsyncSession, user: User | None) -> None:
    parts = pressed(query)
    if parts is None:
        await not_yours(query)
        return
    _, (entry_id, *_) = parts
    chat = query.message.chat.id if query.message else None
    try:
        what = (
            await chats.forget(session, user, chat, int(entry_id))
            if user is not None and chat is not None and entry_id.isdigit()
            else None
        )
    except NotFound:  # a shared entry of a household its sender has left
        await session.rollback()
        what = None
    await session.commit()
    await query.answer(texts.UNDONE.format(what=what) if what else texts.TOO_OLD_TO_CHANGE)
    if what and isinstance(query.message, Message):
        await query.message.edit_text(texts.UNDONE.format(what=what))


async def refile(query: CallbackQuery, session: AsyncSession, user: User | None) -> None:
    parts = pressed(query)
    if parts is None:
        await not_yours(query)
        return
    _, (expense_id, *category_parts) = parts
    category = ":".join(category_parts)
    if user is None or not expense_id.isdigit() or not category:
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


def make_router() -> Router:
    """A fresh router, for group chats only; the private routers never see a group."""
    router = Router(name="household")
    router.message.filter(on_loop(F.chat.type.in_(GROUPS)))
    router.edited_message.filter(on_loop(F.chat.type.in_(GROUPS)))
    router.callback_query.filter(on_loop(F.message.chat.type.in_(GROUPS)))
    router.message(Command("household"))(household_command)
    router.message(Command("balance"))(balance)
    router.message(Command("settle"))(settle)
    router.message(Command("start", "help"))(group_help)
    router.message(on_loop(F.migrate_to_chat_id))(migrated)
    router.message(on_loop(F.new_chat_members))(added)
    router.message(Command(*(c for c in ENTRY_COMMANDS if c != "safe")))(entry)
    router.message(on_loop(F.text & ~F.text.startswith("/")))(entry)
    router.edited_message(on_loop(F.text))(edited)
    router.callback_query(on_loop(F.data.startswith("hp:")))(pick)
    router.callback_query(on_loop(F.data.startswith("hu:")))(undo)
    router.callback_query(on_loop(F.data.startswith("hr:")))(refile)
    return router
