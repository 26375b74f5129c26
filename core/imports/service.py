"""Statements in: a bank file becomes expenses and incomes, each transaction once per user.

An import reads first, writes after. The session's transaction is ended before the file is
read, so no pooled connection (nor, on SQLite, the database-wide writer lock) is held while
it is; the whole file is then read, checked, keyed and filed by the person's rules in a
worker process (core.imports.prepare, run by core.imports.pool: off the event loop, out of
this process's GIL, within a time limit); only then does one transaction write it all. The
dedupe keys are claimed by the database (a UNIQUE key, so two processes importing the same
file at once still bring each row in once); entries are created through the expense and
income services (budget alerts follow, once per threshold); an import commits all its rows
or none (the caller commits).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, BinaryIO

from sqlalchemy.ext.asyncio import AsyncSession

from core.crud import Page, Paging, owned
from core.exceptions import Invalid, PayloadTooLarge, ServiceUnavailable
from core.expenses.schemas import ExpenseCreate
from core.expenses.service import expenses
from core.imports.pool import JobTimedOut, PoolBusy, ProcessSlots, WorkerLost, shared_slots
from core.imports.prepare import (
    DESCRIPTION_MAX,
    FAILED_LISTED,
    FALLBACK_CATEGORY,
    ImportOptions,
    Prepared,
    Refused,
    Row,
    prepare,
    rows_in_chunks,
)
from core.imports.repository import ImportRepository
from core.incomes.schemas import IncomeCreate
from core.incomes.service import incomes
from core.models import Import, User
from core.rules.repository import LearningRepository
from core.rules.service import categorizer

__all__ = [
    "DESCRIPTION_MAX",
    "FAILED_LISTED",
    "FALLBACK_CATEGORY",
    "ImportOptions",
    "ReadersBusy",
    "import_statement",
    "read",
    "store",
]

log = logging.getLogger("finbot.imports")

FILENAME_MAX = 255
# Rows written per statement batch.
STEP = 1000
# Merchants per learning query: databases cap bound parameters per statement.
MERCHANTS_PER_QUERY = 500

# Awaited once the file is read, before anything is written, with no transaction open:
# the number of rows read.
OnRead = Callable[[int], Awaitable[None]]
Rules = tuple[tuple[str, str, str | None], ...]


class ReadersBusy(ServiceUnavailable):
    """Every statement reader stayed busy (or one was lost): come back in `retry_after` s."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("every statement reader is busy; try again shortly")
        self.retry_after = retry_after


def _size(source: BinaryIO) -> int:
    size = source.seek(0, 2)
    source.seek(0)
    return size


def _whole(source: BinaryIO, max_bytes: int) -> bytes:
    if _size(source) > max_bytes:
        raise PayloadTooLarge(f"file is larger than {max_bytes} bytes")
    return source.read()


async def import_statement(
    session: AsyncSession,
    user: User,
    source: BinaryIO,
    filename: str | None,
    max_bytes: int,
    options: ImportOptions,
    *,
    on_read: OnRead | None = None,
    step_rows: int = STEP,
    slots: ProcessSlots | None = None,
) -> Import:
    """Import a statement file for `user`. First commits what the session did so far (the
    caller's own unit: authentication's token use, the chat's account), so that nothing is
    held while the file is read; the import itself is left in the session's transaction,
    for the caller to commit. A dry run answers the same counts and leaves nothing behind
    (its writes happen in a savepoint rolled back)."""
    if await asyncio.to_thread(_size, source) > max_bytes:
        raise PayloadTooLarge(f"file is larger than {max_bytes} bytes")
    # The rules are applied in the worker: reading them is the last use of the connection.
    rules = (await categorizer(session, user.id, [], kinds=())).rules
    if session.in_transaction():
        await session.commit()
    prepared = await read(source, max_bytes, options, user.currency, rules, slots)
    if on_read is not None:
        await on_read(prepared.readable)
    return await store(
        session, user, prepared, filename, dry_run=options.dry_run, step_rows=step_rows
    )


async def read(
    source: BinaryIO,
    max_bytes: int,
    options: ImportOptions,
    user_currency: str,
    rules: Rules = (),
    slots: ProcessSlots | None = None,
) -> Prepared:
    """The whole file read and checked in a worker process; no database involved.
    Invalid naming `file` for a file that is no statement or takes too long to read."""
    data = await asyncio.to_thread(_whole, source, max_bytes)
    try:
        result = await (slots or shared_slots()).run(prepare, data, options, user_currency, rules)
    except JobTimedOut as error:
        # Linear readers get through the largest file allowed in seconds: this one is
        # built to take long, and would again. A 422, not a 503 to retry.
        raise Invalid(
            f"file: could not be read within {error.limit:g} seconds", field="file"
        ) from None
    except PoolBusy as error:
        raise ReadersBusy(error.retry_after) from None
    except WorkerLost:
        log.warning("a statement reader died while reading a file")
        raise ReadersBusy(slots.retry_after if slots else shared_slots().retry_after) from None
    if isinstance(result, Refused):
        raise Invalid(result.message, field=result.field)
    return result


async def store(
    session: AsyncSession,
    user: User,
    prepared: Prepared,
    filename: str | None,
    *,
    dry_run: bool = False,
    step_rows: int = STEP,
) -> Import:
    """Write a read statement in the session's transaction (never commits)."""
    # Reads first: on SQLite they take no writer lock, so it is held only for the writes.
    learned = await _learned(session, user.id, prepared.rows)
    if not dry_run:
        return await _write(session, user, prepared, filename, learned, step_rows)
    savepoint = await session.begin_nested()
    try:
        imported = await _write(session, user, prepared, filename, learned, step_rows, alerts=False)
        preview = Import(
            id=None,
            user_id=user.id,
            format=imported.format,
            filename=imported.filename,
            expenses=imported.expenses,
            incomes=imported.incomes,
            duplicates=imported.duplicates,
            failed=imported.failed,
            created_at=None,
        )
    finally:
        await savepoint.rollback()
    return preview


async def _learned(
    session: AsyncSession, user_id: int, rows: list[Row]
) -> dict[str, dict[str, str]]:
    """kind -> merchant -> category the person filed it under, for the rows no rule files."""
    wanted: dict[str, set[str]] = {"expense": set(), "income": set()}
    for row in rows:
        if row.rule_category is None and row.merchant:
            wanted["expense" if row.spent else "income"].add(row.merchant)
    learning = LearningRepository(session)
    found: dict[str, dict[str, str]] = {}
    for kind, merchants in wanted.items():
        ordered = sorted(merchants)
        found[kind] = {}
        for start in range(0, len(ordered), MERCHANTS_PER_QUERY):
            chunk = ordered[start : start + MERCHANTS_PER_QUERY]
            found[kind].update(await learning.learned(user_id, kind, chunk))
    return found


async def _write(
    session: AsyncSession,
    user: User,
    prepared: Prepared,
    filename: str | None,
    learned: dict[str, dict[str, str]],
    step_rows: int,
    *,
    alerts: bool = True,
) -> Import:
    repository = ImportRepository(session)
    imported = Import(
        user_id=user.id,
        format=prepared.format,
        filename=(filename or "")[:FILENAME_MAX],
        expenses=0,
        incomes=0,
        duplicates=prepared.repeated,
    )
    await repository.add(imported)
    categories: set[str] = set()
    for chunk in rows_in_chunks(prepared.rows, step_rows):
        claimed = await repository.claim(user.id, imported.id, [row.key for row in chunk])
        new = [row for row in chunk if row.key in claimed]
        imported.duplicates += len(chunk) - len(new)
        touched = await _create_step(session, user, repository, imported, new, claimed, learned)
        categories.update(touched)
    if alerts:  # once per category, after every row: one alert per threshold crossed
        await expenses.check_budgets_after_bulk(session, user, categories)
    imported.failed = prepared.failed
    await repository.flush()
    return imported


def _category(row: Row, learned: dict[str, dict[str, str]]) -> str:
    """Imported entries: rules, then learning, then the file's own category, then `other`."""
    kind = "expense" if row.spent else "income"
    from_learning = learned[kind].get(row.merchant) if row.merchant else None
    return row.rule_category or from_learning or row.file_category or FALLBACK_CATEGORY


def _entry(row: Row, category: str) -> ExpenseCreate | IncomeCreate:
    # Checked by the same schemas in the worker (prepare._checked): built, not validated again.
    values: dict[str, Any] = {"amount": row.amount, "date": row.date}
    values["description"] = row.description
    if row.currency is not None:
        values["currency"] = row.currency
    if row.spent:
        return ExpenseCreate.model_construct(category=category, **values)
    return IncomeCreate.model_construct(source=category, **values)


async def _create_step(
    session: AsyncSession,
    user: User,
    repository: ImportRepository,
    imported: Import,
    rows: list[Row],
    claimed: dict[str, int],
    learned: dict[str, dict[str, str]],
) -> set[str]:
    """Create one step's entries and link them; the expense categories touched."""
    spent = [row for row in rows if row.spent]
    earned = [row for row in rows if not row.spent]
    touched: set[str] = set()
    if spent:
        entries = [_entry(row, _category(row, learned)) for row in spent]
        ids = await expenses.create_many(
            session,
            user,
            [entry for entry in entries if isinstance(entry, ExpenseCreate)],
            check_budgets=False,
        )
        await repository.link(
            "expense_id", [(claimed[row.key], i) for row, i in zip(spent, ids, strict=True)]
        )
        imported.expenses += len(ids)
        touched.update(
            entry.category.lower() for entry in entries if isinstance(entry, ExpenseCreate)
        )
    if earned:
        income_entries = [_entry(row, _category(row, learned)) for row in earned]
        ids = await incomes.create_many(
            session,
            user,
            [entry for entry in income_entries if isinstance(entry, IncomeCreate)],
        )
        await repository.link(
            "income_id", [(claimed[row.key], i) for row, i in zip(earned, ids, strict=True)]
        )
        imported.incomes += len(ids)
    return touched


async def list_page(session: AsyncSession, user: User, paging: Paging) -> Page[Import]:
    return await ImportRepository(session).list_page(user.id, paging)


async def get(session: AsyncSession, user: User, import_id: int) -> Import:
    return await owned(ImportRepository(session), user, import_id, "import")


async def undo(session: AsyncSession, user: User, import_id: int) -> None:
    """Remove exactly what the import created (entries deleted since stay deleted) and its
    keys, so the same statement can be imported again."""
    imported = await get(session, user, import_id)
    await ImportRepository(session).remove_with_entries(imported)
