"""Recurring entries in chat (`rent 900 every month on the 3rd`, then a confirm
button), /recurring with a Stop button each, and /safe."""

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.filters import on_loop
from bot.middlewares import commands_only, require_user
from core.exceptions import FinbotError, NotFound
from core.language.parsing import ParsedEntry
from core.models import User
from core.periods import local_today
from core.planning.service import safe_to_spend_now
from core.recurring.schemas import RecurringCreate
from core.recurring.service import recurring

PENDING = "recurring_pending"  # FSM data: the rule waiting for its Save button


def _fields(read: ParsedEntry, start: str) -> dict[str, Any]:
    name = "category" if read.kind == "expense" else "source"
    return {
        "kind": read.kind,
        name: read.category,
        "amount": str(read.amount),
        "currency": read.currency,
        "description": read.description,
        "rrule": read.rrule,
        "start": start,
    }


async def ask(message: Message, user: User, state: FSMContext, reading: ParsedEntry) -> None:
    currency = reading.currency or user.currency
    fields = _fields(reading, local_today(user.timezone).isoformat())
    await state.update_data({PENDING: fields})
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=texts.RECURRING_SAVE, callback_data="rc:save"),
                InlineKeyboardButton(text=texts.RECURRING_CANCEL, callback_data="rc:cancel"),
            ]
        ]
    )
    await message.answer(
        texts.RECURRING_ASK.format(
            kind=reading.kind,
            amount=texts.money(reading.amount, currency),
            name=reading.category,
            rule=reading.rrule,
            first=f"{reading.date:%d %b %Y}",
        ),
        reply_markup=keyboard,
    )


async def confirm(
    query: CallbackQuery, session: AsyncSession, user: User, state: FSMContext
) -> None:
    fields = (await state.get_data()).get(PENDING)
    await state.update_data({PENDING: None})
    if query.data == "rc:cancel" or not fields:
        await query.answer(texts.RECURRING_CANCELLED if fields else texts.RECURRING_GONE)
        return
    try:
        entry = await recurring.create(session, user, RecurringCreate.model_validate(fields))
    except (FinbotError, ValueError):
        await query.answer(texts.RECURRING_GONE)
        return
    await session.commit()  # say "saved" only once it is
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(
            texts.RECURRING_SAVED.format(
                kind=entry.kind,
                amount=texts.money(entry.amount, entry.currency),
                name=entry.name,
                next=f"{entry.next_date:%d %b %Y}" if entry.next_date else "—",
            )
        )


async def list_recurring(message: Message, session: AsyncSession, user: User) -> None:
    entries = await recurring.all_for_user(session, user)
    if not entries:
        await message.answer(texts.NO_RECURRING)
        return
    lines = [
        texts.RECURRING_LINE.format(
            name=entry.name,
            amount=texts.money(entry.amount, entry.currency),
            rule=entry.rrule,
            next=f"{entry.next_date:%d %b %Y}" if entry.next_date else "—",
        )
        for entry in entries
    ]
    buttons = [
        [
            InlineKeyboardButton(
                text=texts.RECURRING_STOP.format(name=entry.name), callback_data=f"rs:{entry.id}"
            )
        ]
        for entry in entries
    ]
    await message.answer(
        "\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons)
    )


async def stop(query: CallbackQuery, session: AsyncSession, user: User) -> None:
    entry_id = (query.data or "").removeprefix("rs:")
    if not entry_id.isdigit():
        await query.answer(texts.TOO_OLD_TO_CHANGE)
        return
    try:
        entry = await recurring.get(session, user, int(entry_id))
    except NotFound:
        await query.answer(texts.TOO_OLD_TO_CHANGE)
        return
    name = entry.name
    await recurring.delete(session, user, entry.id)
    await session.commit()
    await query.answer(texts.RECURRING_STOPPED.format(name=name))
    if isinstance(query.message, Message):
        await query.message.answer(texts.RECURRING_STOPPED.format(name=name))


async def safe(message: Message, session: AsyncSession, user: User) -> None:
    figure = await safe_to_spend_now(session, user)
    currency = figure.currency
    await message.answer(
        texts.SAFE.format(
            per_day=texts.money(figure.per_day, currency),
            days=figure.days_left,
            end=f"{figure.period_end:%d %b}",
            left=texts.money(figure.left, currency),
            income=texts.number(figure.income, currency),
            expected=texts.number(figure.expected_income, currency),
            spent=texts.number(figure.spent, currency),
            committed=texts.number(figure.committed, currency),
        )
    )


def make_router() -> Router:
    """A fresh router: aiogram attaches a router to one dispatcher only."""
    router = Router(name="recurring")
    router.message(Command("recurring"))(list_recurring)
    router.message(Command("safe"))(safe)
    router.callback_query(on_loop(F.data.startswith("rc:")))(confirm)
    router.callback_query(on_loop(F.data.startswith("rs:")))(stop)
    return commands_only(require_user(router))
