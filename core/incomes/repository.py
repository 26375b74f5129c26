from typing import Any

from core.crud import DatedRepository, insert_many_ids
from core.models import Income
from core.models.base import utcnow


class IncomeRepository(DatedRepository[Income]):
    model = Income

    async def insert_many(self, user_id: int, rows: list[dict[str, Any]]) -> list[int]:
        """Insert many incomes in few statements; their ids, in the order given."""
        created_at = utcnow()
        values = [{**row, "user_id": user_id, "created_at": created_at} for row in rows]
        match = ("date", "amount", "description", "source")
        return await insert_many_ids(self.session, Income.__table__, values, match)
