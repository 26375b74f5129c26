"""/budget, /goals, /save, /report: what the person has, in the chat."""

from datetime import timedelta

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.charts import category_chart
from bot.middlewares import commands_only, require_user
from core.budgets.service import budgets
from core.goals.service import goals
from core.language.parsing import parse_amount_in
from core.models import User
from core.periods import PERIOD_WORDS, local_today, period_range
from core.reports import service as reports
from core.telegram import service as chats


async def budget(message: Message, session: AsyncSession, user: User) -> None:
    rows = await budgets.present(session, user, await budgets.all_for_user(session, user))
    if not rows:
        await message.answer(texts.NO_BUDGETS)
        return
    lines = []
    for row in rows:
        data = row.model_dump()
        percent = int(data["spent"] * 100 / data["limit"])
        lines.append(
            f"{data['category']} ({PERIOD_WORDS[data['period']]['this']}): "
            f"{texts.number(data['spent'], user.currency)} of "
            f"{texts.money(data['limit'], user.currency)}\n"
            f"{texts.progress_bar(data['spent'], data['limit'])} {percent} %"
        )
    await message.answer("\n\n".join(lines))


async def goals_list(message: Message, session: AsyncSession, user: User) -> None:
    found = await goals.all_for_user(session, user)
    if not found:
        await message.answer(texts.NO_GOALS)
        return
    lines = [
        f"{goal.description or 'goal'} (by {goal.deadline.isoformat()}): "
        f"{texts.number(goal.saved_amount, user.currency)} of "
        f"{texts.money(goal.target_amount, user.currency)}\n"
        f"{texts.progress_bar(goal.saved_amount, goal.target_amount)} "
        f"{int(goal.saved_amount * 100 / goal.target_amount)} %"
        for goal in found
    ]
    await message.answer("\n\n".join(lines))


async def save(message: Message, command: CommandObject, session: AsyncSession, user: User) -> None:
    parts = (command.args or "").split(maxsplit=1)
    amount = (
        parse_amount_in(parts[0].replace("€", "").replace("$", ""), user.currency)
        if parts
        else None
    )
    if amount is None or len(parts) < 2:
        await message.answer(texts.SAVE_USAGE)
        return
    goal = await chats.save_to_goal(session, user, amount, parts[1])
    await session.commit()
    if goal is None:
        names = ", ".join(g.description for g in await goals.all_for_user(session, user))
        await message.answer(texts.NO_SUCH_GOAL.format(name=parts[1], names=names or "none"))
        return
    await message.answer(
        texts.SAVED_TO_GOAL.format(
            amount=texts.number(amount, user.currency),
            name=goal.description,
            saved=texts.number(goal.saved_amount, user.currency),
            target=texts.number(goal.target_amount, user.currency),
            currency=user.currency,
        )
    )


async def report(
    message: Message, command: CommandObject, session: AsyncSession, user: User
) -> None:
    period = {"week": "weekly", "month": "monthly", "": "monthly"}.get(
        (command.args or "").strip().lower()
    )
    if period is None:
        await message.answer(texts.REPORT_USAGE)
        return
    start, end = period_range(period, local_today(user.timezone))
    summary = await reports.summary(session, user, start, end)
    name = "This week" if period == "weekly" else "This month"
    lines = [
        f"{name} ({start.isoformat()} – {(end - timedelta(days=0)).isoformat()})",
        f"Income: {texts.money(summary.total_income, summary.currency)}",
        f"Spent: {texts.money(summary.total_expenses, summary.currency)}",
        f"Net: {texts.money(summary.net, summary.currency)}",
    ]
    lines += [
        f"• {row.category}: {texts.number(row.total, summary.currency)}"
        for row in summary.by_category[:8]
    ]
    chart = await category_chart(
        f"{name}: spending by category",
        [(row.category, row.total) for row in summary.by_category[:8]],
        user.currency,
    )
    await message.answer_photo(
        BufferedInputFile(chart, filename="report.png"), caption="\n".join(lines)[:1024]
    )


def make_router() -> Router:
    """A fresh router: aiogram attaches a router to one dispatcher only."""
    router = Router(name="overview")
    router.message(Command("budget"))(budget)
    router.message(Command("goals"))(goals_list)
    router.message(Command("save"))(save)
    router.message(Command("report"))(report)
    return commands_only(require_user(router))
