from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Budget, Document, Expense, Goal, Income, Notification, Payment

EXPORTED = (Expense, Income, Budget, Goal, Notification, Payment, Document)


class ExportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def batch_after(self, model: Any, user_id: int, after: Any, size: int) -> list[Any]:
        """The user's next `size` rows of one table after the row with key `after`,
        oldest first: the export reads in short batches, never the whole table at once."""
        assert model in EXPORTED
        query = select(model).where(model.user_id == user_id)
        if after is not None:
            query = query.where(model.id > after)
        query = query.order_by(model.id).limit(size)
        return list((await self.session.execute(query)).scalars())
