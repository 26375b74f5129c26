from core.crud import OwnedService
from core.goals.repository import GoalRepository
from core.goals.schemas import Goal as GoalOut
from core.goals.schemas import GoalCreate
from core.models import Goal


class GoalService(OwnedService[Goal, GoalCreate]):
    name = "goal"
    repository_class = GoalRepository
    create_schema = GoalCreate
    out_schema = GoalOut


goals = GoalService()
