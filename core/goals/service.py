from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from core.crud import OwnedService
from core.goals.repository import GoalRepository
from core.goals.schemas import GoalCreate, GoalOut
from core.models import Goal, User
from core.notifications.service import notify


def goal_out(goal: Goal, currency: str) -> GoalOut:
    return GoalOut.model_validate(goal).model_copy(update={"currency": currency})


class GoalService(OwnedService[Goal, GoalCreate]):
    name = "goal"
    repository_class = GoalRepository
    create_schema = GoalCreate
    out_schema = GoalOut

    async def present(
        self, session: AsyncSession, user: User, objects: list[Goal]
    ) -> list[BaseModel]:
        return [goal_out(goal, user.currency) for goal in objects]

    async def all_for_user(self, session: AsyncSession, user: User) -> list[Goal]:
        """Newest first."""
        return await GoalRepository(session).for_user(user.id)

    async def after_change(self, session: AsyncSession, user: User, obj: Goal) -> None:
        if obj.saved_amount >= obj.target_amount:
            what = obj.description or "your goal"
            await notify(
                session,
                user.id,
                "goal",
                f"Goal reached: {what}: {obj.saved_amount:.2f} of "
                f"{obj.target_amount:.2f} {user.currency} saved",
                f"goal:{obj.id}:reached",
            )


goals = GoalService()
