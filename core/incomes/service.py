from typing import Any

from core.crud import OwnedService
from core.incomes.repository import IncomeRepository
from core.incomes.schemas import IncomeCreate, IncomeOut
from core.models import Income, User
from core.periods import local_today


class IncomeService(OwnedService[Income, IncomeCreate]):
    name = "income"
    repository_class = IncomeRepository
    create_schema = IncomeCreate
    out_schema = IncomeOut

    def defaults(self, user: User) -> dict[str, Any]:
        return {"date": local_today(user.timezone)}


incomes = IncomeService()
