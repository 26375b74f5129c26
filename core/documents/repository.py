from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.crud import OwnedRepository
from core.models import Document, ReceiptReading


class DocumentRepository(OwnedRepository[Document]):
    model = Document
    newest_first = ("created_at", "id")

    async def get_any(self, document_id: str) -> Document | None:
        """By id alone: only for links whose signature was already checked."""
        return await self.session.get(Document, document_id)

    async def ids_by_expense(self, expense_ids: list[int]) -> dict[int, list[str]]:
        if not expense_ids:
            return {}
        query = (
            select(Document.expense_id, Document.id)
            .where(Document.expense_id.in_(expense_ids))
            .order_by(Document.created_at, Document.id)
        )
        found: dict[int, list[str]] = defaultdict(list)
        for expense_id, document_id in (await self.session.execute(query)).all():
            if expense_id is not None:
                found[expense_id].append(document_id)
        return found


class ReadingRepository:
    """Stored receipt readings, one per document."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, document_id: str) -> ReceiptReading | None:
        return await self.session.get(ReceiptReading, document_id)

    async def add_once(self, reading: ReceiptReading) -> ReceiptReading:
        """Store it, or (when another request stored one meanwhile) keep and return that one."""
        try:
            async with self.session.begin_nested():
                self.session.add(reading)
        except IntegrityError:
            stored = await self.session.get(ReceiptReading, reading.document_id)
            if stored is None:  # not the race: a real fault
                raise
            return stored
        return reading
