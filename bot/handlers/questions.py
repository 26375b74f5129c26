"""Questions about the person's money, answered from the reports and budgets; never recorded."""

from decimal import Decimal

from aiogram.types import BufferedInputFile, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.charts import category_chart
from bot.handlers.recurring import safe
from core.budgets.schemas import BudgetOut
from core.budgets.service import budgets
from core.language.parsing import Question
from core.models import User
from core.periods import PERIOD_WORDS, local_today
from core.reports import service as reports
from core.reports.schemas import Summary
from core.telegram import service as chats

BIGGEST_SHOWN = 5
CHART_FROM_CATEGORIES = 2  # one bar says no more than the sentence


async def answer(message: Message, session: AsyncSession, user: User, question: Question) -> None:
    if question.kind == "safe_to_spend":
        await safe(message, session, user)
    elif question.kind == "left":
        await _left(message, session, user, question.category)
    elif question.kind == "biggest":
        await _biggest(message, session, user, question)
    else:
        await _totals(message, session, user, question)


def _category_total(summary: Summary, category: str) -> Decimal:
    wanted = category.lower()
    return sum(
        (row.total for row in summary.by_category if row.category.lower() == wanted), Decimal(0)
    )


async def _totals(message: Message, session: AsyncSession, user: User, question: Question) -> None:
    today = local_today(user.timezone)
    start, end = question.start or today.replace(day=1), question.end or today
    summary = await reports.summary(session, user, start, end)
    span = texts.span(start, end)
    if question.kind == "earned":
        amount = texts.money(summary.total_income, user.currency)
        await message.answer(texts.EARNED_TOTAL.format(amount=amount, span=span))
        return
    if question.category is not None:
        total = _category_total(summary, question.category)
        await message.answer(
            texts.SPENT_ON.format(
                amount=texts.money(total, user.currency), category=question.category, span=span
            )
        )
        return
    head = texts.SPENT_TOTAL.format(
        amount=texts.money(summary.total_expenses, user.currency), span=span
    )
    rows = summary.by_category[:8]
    lines = [head] + [f"• {row.category}: {texts.number(row.total, user.currency)}" for row in rows]
    if len(rows) < CHART_FROM_CATEGORIES:
        await message.answer("\n".join(lines))
        return
    chart = await category_chart(
        f"Spending {span}", [(row.category, row.total) for row in rows], user.currency
    )
    await message.answer_photo(
        BufferedInputFile(chart, filename="spent.png"), caption="\n".join(lines)[:1024]
    )


async def _left(message: Message, session: AsyncSession, user: User, category: str | None) -> None:
    rows = [
        row
        for row in await budgets.present(session, user, await budgets.all_for_user(session, user))
        if isinstance(row, BudgetOut)
    ]
    if category is not None:
        rows = [row for row in rows if row.category.lower() == category.lower()]
        if not rows:
            summary = await reports.summary(session, user, None, None)
            spent = _category_total(summary, category)
            await message.answer(
                texts.NO_BUDGET_FOR.format(
                    category=category, amount=texts.money(spent, user.currency)
                )
            )
            return
    if not rows:
        await message.answer(texts.NO_BUDGETS)
        return
    await message.answer(
        "\n".join(
            texts.left_line(
                row.category,
                PERIOD_WORDS[row.period]["this"],
                row.remaining,
                row.limit,
                user.currency,
            )
            for row in rows
        )
    )


async def _biggest(message: Message, session: AsyncSession, user: User, question: Question) -> None:
    today = local_today(user.timezone)
    start, end = question.start or today.replace(day=1), question.end or today
    found = await chats.largest_expenses(
        session, user, start, end, question.category, BIGGEST_SHOWN
    )
    span = texts.span(start, end)
    if not found:
        await message.answer(texts.BIGGEST_NONE.format(span=span))
        return
    lines = [texts.BIGGEST_HEAD.format(span=span)] + [
        f"• {texts.entry_line(e.amount, user.currency, e.category, e.date.isoformat())}"
        + (f" — {e.description}" if e.description and e.description != e.category else "")
        for e in found
    ]
    await message.answer("\n".join(lines))
