from typing import Any

from sqlalchemy import ColumnElement

from core.crud import DatedRepository, DateFilters, insert_many_ids
from core.incomes.schemas import IncomeFilters
from core.models import Income
from core.models.base import utcnow
from core.tags.repository import has_tag


class IncomeRepository(DatedRepository[Income]):
    model = Income

    def conditions(self, filters: DateFilters) -> list[ColumnElement[bool]]:
        terms = super().conditions(filters)
        if isinstance(filters, IncomeFilters) and filters.tag:
            terms.append(has_tag("income", Income.id, filters.tag))
        return terms

    async def insert_many(self, user_id: int, rows: list[dict[str, Any]]) -> list[int]:
        """Insert many incomes in few statements; their ids, in the order given."""
        created_at = utcnow()
        values = [{**row, "user_id": user_id, "created_at": created_at} for row in rows]
        match = ("date", "amount", "description", "source")
        return await insert_many_ids(self.session, Income.__table__, values, match)
