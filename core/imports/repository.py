"""Imports and their entries: the dedupe keys are claimed by the database's UNIQUE key."""

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, update

from core.crud import OwnedRepository, insert_for
from core.models import Expense, Import, ImportEntry, Income

# Rows per statement: well under SQLite's bound-parameter cap with a few columns each.
CHUNK = 1000


class ImportRepository(OwnedRepository[Import]):
    model = Import

    async def claim(self, user_id: int, import_id: int, keys: Sequence[str]) -> dict[str, int]:
        """Insert the keys this user has not imported yet; {key: entry id} of those inserted.

        ON CONFLICT DO NOTHING on the UNIQUE (user_id, dedupe_key): a concurrent import of
        the same rows in another process waits for this one and then finds them taken.
        """
        insert = insert_for(self.session)
        table = cast(Table, ImportEntry.__table__)
        statement = (
            insert(table)
            .on_conflict_do_nothing(index_elements=["user_id", "dedupe_key"])
            .returning(table.c.id, table.c.dedupe_key)
        )
        claimed: dict[str, int] = {}
        for start in range(0, len(keys), CHUNK):
            values = [
                {"user_id": user_id, "import_id": import_id, "dedupe_key": key}
                for key in keys[start : start + CHUNK]
            ]
            # executemany: SQLAlchemy batches it into multi-row INSERTs ("insertmanyvalues").
            for entry_id, key in (await self.session.execute(statement, values)).all():
                claimed[key] = entry_id
        return claimed

    async def link(self, column: str, links: Sequence[tuple[int, int]]) -> None:
        """Point entries at what they created: (entry id, expense or income id) pairs."""
        if not links:
            return
        table = cast(Table, ImportEntry.__table__)
        statement = (
            update(table)
            .where(table.c.id == bindparam("entry_id"))
            .values({column: bindparam("object_id")})
        )
        params = [{"entry_id": entry, "object_id": obj} for entry, obj in links]
        for start in range(0, len(params), CHUNK):
            await self.session.execute(statement, params[start : start + CHUNK])

    async def remove_with_entries(self, imported: Import) -> tuple[int, int]:
        """Delete what the import created, its keys and itself: (expenses, incomes) removed."""
        created = select(ImportEntry.expense_id).where(
            ImportEntry.import_id == imported.id, ImportEntry.expense_id.is_not(None)
        )
        earned = select(ImportEntry.income_id).where(
            ImportEntry.import_id == imported.id, ImportEntry.income_id.is_not(None)
        )
        owner = imported.user_id
        gone_expenses: Any = await self.session.execute(
            delete(Expense).where(Expense.user_id == owner, Expense.id.in_(created))
        )
        gone_incomes: Any = await self.session.execute(
            delete(Income).where(Income.user_id == owner, Income.id.in_(earned))
        )
        await self.session.execute(delete(ImportEntry).where(ImportEntry.import_id == imported.id))
        await self.session.delete(imported)
        await self.session.flush()
        return int(gone_expenses.rowcount), int(gone_incomes.rowcount)
