from core.crud import OwnedRepository
from core.models import Goal


class GoalRepository(OwnedRepository[Goal]):
    model = Goal
