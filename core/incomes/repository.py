from core.crud import DatedRepository
from core.models import Income


class IncomeRepository(DatedRepository[Income]):
    model = Income
