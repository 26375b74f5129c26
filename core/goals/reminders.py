"""Goal reminders: one a week before an unreached goal's deadline, one note once it passed."""

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.jobs.repository import JobsRepository
from core.money import shown
from core.notifications.service import notify_many
from core.periods import local_today

REMIND_AHEAD = timedelta(days=7)


async def remind(session: AsyncSession, now: datetime) -> int:
    """Make the reminders due at `now` in each user's timezone; how many were new."""
    repository = JobsRepository(session)
    todays = []
    for tz in await repository.timezones():
        today = local_today(tz, now)
        todays.append((tz, today, today + REMIND_AHEAD))
    items: list[dict[str, object]] = []
    for row in await repository.goals_due(todays):
        name = row.description or "your goal"
        left = row.target_amount - row.saved_amount
        if row.deadline < row.today:
            key = f"goal:{row.id}:missed"
            message = (
                f"Goal {name} passed its deadline ({row.deadline.isoformat()}) "
                f"{shown(left, row.currency)} short."
            )
        else:
            days = (row.deadline - row.today).days
            key = f"goal:{row.id}:week-left"
            message = (
                f"Goal {name}: {days} day{'s' if days != 1 else ''} left, "
                f"{shown(left, row.currency)} to go."
            )
        items.append(
            {"user_id": row.user_id, "kind": "goal", "message": message, "dedupe_key": key}
        )
    return await notify_many(session, items)
