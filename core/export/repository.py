from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Budget, Document, Expense, Goal, Income, Notification, Payment


class ExportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all_of(self, model: Any, user_id: int) -> list[Any]:
        """Every row of one table that belongs to the user, oldest first."""
        assert model in (Expense, Income, Budget, Goal, Notification, Payment, Document)
        query = select(model).where(model.user_id == user_id).order_by(model.created_at, model.id)
        return list((await self.session.execute(query)).scalars())
