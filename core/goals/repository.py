from sqlalchemy import select

from core.crud import OwnedRepository
from core.models import Goal


class GoalRepository(OwnedRepository[Goal]):
    model = Goal

    async def for_user(self, user_id: int) -> list[Goal]:
        query = select(Goal).where(Goal.user_id == user_id).order_by(Goal.id.desc())
        return list((await self.session.execute(query)).scalars())
