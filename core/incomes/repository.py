from typing import Any

from sqlalchemy import insert

from core.crud import DatedRepository
from core.models import Income
from core.models.base import utcnow


class IncomeRepository(DatedRepository[Income]):
    model = Income

    async def insert_many(self, user_id: int, rows: list[dict[str, Any]]) -> list[int]:
        """Insert many incomes in few statements; their ids, in the order given."""
        created_at = utcnow()
        values = [{**row, "user_id": user_id, "created_at": created_at} for row in rows]
        ids: list[int] = []
        for start in range(0, len(values), 1000):
            statement = insert(Income).returning(Income.id, sort_by_parameter_order=True)
            result = await self.session.execute(statement, values[start : start + 1000])
            ids.extend(result.scalars())
        return ids
