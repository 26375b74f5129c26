"""Statements in: a bank file becomes expenses and incomes, each transaction once per user.

The file is read and checked off the event loop; the dedupe keys are claimed by the database
(a UNIQUE key, so two processes importing the same file at once still bring each row in
once); entries are created through the expense and income services (budget alerts follow,
once per threshold); an import commits all its rows or none (the caller's transaction).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from core.crud import Page, Paging, owned
from core.exceptions import Invalid, PayloadTooLarge
from core.expenses.schemas import ExpenseCreate
from core.expenses.service import expenses
from core.imports.dedupe import file_id_key, identity, identity_digest, occurrence_key
from core.imports.reader import MappingInput, iter_statement
from core.imports.repository import ImportRepository
from core.imports.statement import RowFailure, StatementRow
from core.incomes.schemas import IncomeCreate
from core.incomes.service import incomes
from core.models import Import, User
from core.money import check_minor_units
from core.rules.service import Categorizer, categorizer

FALLBACK_CATEGORY = "other"
DESCRIPTION_MAX = 1000
FILENAME_MAX = 255
# Rows created per step; a progress callback hears after each.
STEP = 1000

# (rows read so far, rows known to be in the file: more than read until the last step)
Progress = Callable[[int, int], Awaitable[None]]
# The answer lists this many failed rows at most.
FAILED_LISTED = 1000


@dataclass(frozen=True)
class ImportOptions:
    format: str | None = None
    currency: str | None = None
    mapping: MappingInput = None
    date_format: str | None = None
    decimal: str | None = None
    dry_run: bool = False


@dataclass
class _Candidate:
    row: StatementRow
    entry: ExpenseCreate | IncomeCreate
    key: str  # the dedupe key; for a row without a file id, set once its step is counted
    identity: tuple[str, ...] | None = None  # a row without a file id: what it is
    digest: bytes = b""  # ... its identity's digest
    occurrence: int = 0  # ... and how many times it came in its step so far, itself included
    entry_id: int = 0  # the import entry that claimed its key


@dataclass
class _Step:
    candidates: list[_Candidate] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    repeated: int = 0  # rows whose file id already came earlier in the same step
    rows: int = 0  # readable rows in this step
    # Rows without a file id in this step, by identity digest (readable ones, valid or not).
    counts: Counter[bytes] = field(default_factory=Counter)
    last: bool = False


def _size(source: BinaryIO) -> int:
    size = source.seek(0, 2)
    source.seek(0)
    return size


def _currency_kept() -> bool:
    # SPEC section 5: an entry keeps its own currency once the ledger knows currencies.
    return "currency" in ExpenseCreate.model_fields


class _StepReader:
    """The statement in steps of at most STEP rows, read, identified and validated in a
    worker thread one step at a time. Nothing here outlives a step: the occurrence counts
    of identical rows live in the database (ImportRepository.count_occurrences), and a
    file id repeated in a later step is a duplicate by the database's unique key, so
    memory stays flat in file size."""

    def __init__(
        self, source: BinaryIO, options: ImportOptions, user_currency: str, step_rows: int = STEP
    ) -> None:
        self.step_rows = step_rows
        self.format, items = iter_statement(
            source,
            format=options.format,
            currency=options.currency,
            mapping=options.mapping,
            date_format=options.date_format,
            decimal=options.decimal,
        )
        self._pending_failures: list[dict[str, Any]] = []
        self._items = items
        self._rows = self._rows_only(items)
        self._user_currency = user_currency
        self._keep_currency = _currency_kept()
        self.first_failure: dict[str, Any] | None = None

    def _rows_only(self, items: Iterator[StatementRow | RowFailure]) -> Iterator[StatementRow]:
        for item in items:
            if isinstance(item, StatementRow):
                yield item
            else:
                self._pending_failures.append({"line": item.line, "reason": item.reason})

    def close(self) -> None:
        """Stop the readers now, while the file is open (not later, at garbage collection)."""
        close = getattr(self._items, "close", None)
        if close is not None:
            close()

    def next_step(self) -> _Step:
        step = _Step()
        file_ids: set[str] = set()  # this step's; across steps the database's key decides
        for row in self._rows:
            step.rows += 1
            self._add(step, row, file_ids)
            if step.rows >= self.step_rows:
                break
        else:
            step.last = True
        step.failed.extend(self._pending_failures)
        self._pending_failures.clear()
        if self.first_failure is None and step.failed:
            self.first_failure = min(step.failed, key=lambda failure: failure["line"])
        return step

    def _add(self, step: _Step, row: StatementRow, file_ids: set[str]) -> None:
        key = file_id_key(row)
        if key is not None and key in file_ids:
            step.repeated += 1
            return
        parts: tuple[str, ...] | None = None
        digest = b""
        if key is None:
            parts = identity(row)
            digest = identity_digest(parts)
            step.counts[digest] += 1
        entry = _entry_for(row, self._keep_currency, self._user_currency, step.failed)
        if entry is None:
            return
        if key is not None:
            file_ids.add(key)
        step.candidates.append(
            _Candidate(
                row=row,
                entry=entry,
                key=key or "",
                identity=parts,
                digest=digest,
                occurrence=step.counts[digest] if parts is not None else 0,
            )
        )


async def _key_rows(repository: ImportRepository, step: _Step) -> None:
    """Give each row without a file id its key: its identity and its occurrence in the
    whole file so far (counted before this step in the database, plus within it)."""
    if not step.counts:
        return
    before = await repository.count_occurrences(step.counts)
    for candidate in step.candidates:
        if candidate.identity is not None:
            occurrence = before.get(candidate.digest, 0) + candidate.occurrence
            candidate.key = occurrence_key(candidate.identity, occurrence)


def _entry_for(
    row: StatementRow, keep_currency: bool, user_currency: str, failed: list[dict[str, Any]]
) -> ExpenseCreate | IncomeCreate | None:
    if row.amount == 0:
        failed.append({"line": row.line, "reason": "amount: zero is neither money in nor out"})
        return None
    currency = row.currency or user_currency
    if not keep_currency and currency != user_currency:
        failed.append(
            {
                "line": row.line,
                "reason": f"currency: {currency} is not your currency {user_currency}",
            }
        )
        return None
    try:  # a row, not the whole import, fails on more decimals than its currency has
        check_minor_units(abs(row.amount), currency)
    except Invalid as error:
        failed.append({"line": row.line, "reason": f"amount: {error.message}"})
        return None
    values: dict[str, Any] = {
        "amount": abs(row.amount),
        "date": row.date,
        "description": row.description.strip()[:DESCRIPTION_MAX],
    }
    if keep_currency:
        values["currency"] = currency
    try:
        if row.amount < 0:
            return ExpenseCreate.model_validate({**values, "category": FALLBACK_CATEGORY})
        return IncomeCreate.model_validate({**values, "source": FALLBACK_CATEGORY})
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "row"
        failed.append({"line": row.line, "reason": f"{where}: {problem['msg']}"})
        return None


async def import_statement(
    session: AsyncSession,
    user: User,
    source: BinaryIO,
    filename: str | None,
    max_bytes: int,
    options: ImportOptions,
    progress: Progress | None = None,
    *,
    step_rows: int = STEP,
) -> Import:
    """Import a statement file for `user`; never commits. A dry run answers the same
    counts and leaves nothing behind (its writes happen in a savepoint rolled back)."""
    if await asyncio.to_thread(_size, source) > max_bytes:
        raise PayloadTooLarge(f"file is larger than {max_bytes} bytes")
    reader = await asyncio.to_thread(_StepReader, source, options, user.currency, step_rows)
    try:
        return await _import(session, user, filename, reader, progress, options.dry_run)
    finally:
        await asyncio.to_thread(reader.close)


async def _import(
    session: AsyncSession,
    user: User,
    filename: str | None,
    reader: _StepReader,
    progress: Progress | None,
    dry_run: bool,
) -> Import:
    if not dry_run:
        return await _store(session, user, filename, reader, progress)
    savepoint = await session.begin_nested()
    try:
        imported = await _store(session, user, filename, reader, progress, alerts=False)
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


async def _store(
    session: AsyncSession,
    user: User,
    filename: str | None,
    reader: _StepReader,
    progress: Progress | None,
    *,
    alerts: bool = True,
) -> Import:
    repository = ImportRepository(session)
    imported = Import(
        user_id=user.id,
        format=reader.format,
        filename=(filename or "")[:FILENAME_MAX],
        expenses=0,
        incomes=0,
        duplicates=0,
    )
    await repository.add(imported)
    await repository.start_counting()
    failed: list[dict[str, Any]] = []
    readable = done = 0
    categories: set[str] = set()
    last = False
    while not last:
        step = await asyncio.to_thread(reader.next_step)
        last = step.last
        readable += step.rows
        done += step.rows
        if len(failed) < FAILED_LISTED:
            failed.extend(step.failed[: FAILED_LISTED - len(failed)])
        await _key_rows(repository, step)
        claimed = await repository.claim(user.id, imported.id, [c.key for c in step.candidates])
        new = [c for c in step.candidates if c.key in claimed]
        imported.duplicates += step.repeated + len(step.candidates) - len(new)
        filing = await categorizer(session, user.id, [c.row.description for c in new])
        for candidate in new:
            candidate.entry_id = claimed[candidate.key]
            _file(candidate, filing)
        categories.update(await _create_step(session, user, repository, imported, new))
        if progress is not None:
            await progress(done, 0 if last else done + 1)
    if readable == 0:
        first = reader.first_failure
        detail = f" (line {first['line']}: {first['reason']})" if first else ""
        raise Invalid(f"file: no readable {reader.format} transactions{detail}", field="file")
    if alerts:  # once per category, after every row: one alert per threshold crossed
        await expenses.check_budgets_after_bulk(session, user, categories)
    imported.failed = sorted(failed, key=lambda failure: failure["line"])
    await repository.stop_counting()
    await repository.flush()
    return imported


def _file(candidate: _Candidate, filing: Categorizer) -> None:
    """Imported entries: rules, then learning, then the file's own category, then `other`."""
    kind = "expense" if isinstance(candidate.entry, ExpenseCreate) else "income"
    category = (
        filing.category(candidate.row.description, kind)
        or _file_category(candidate.row)
        or FALLBACK_CATEGORY
    )
    name = "category" if kind == "expense" else "source"
    candidate.entry = candidate.entry.model_copy(update={name: category})


async def _create_step(
    session: AsyncSession,
    user: User,
    repository: ImportRepository,
    imported: Import,
    step: list[_Candidate],
) -> set[str]:
    """Create one step's entries and link them; the expense categories touched."""
    spent = [c for c in step if isinstance(c.entry, ExpenseCreate)]
    earned = [c for c in step if isinstance(c.entry, IncomeCreate)]
    touched: set[str] = set()
    if spent:
        entries = [c.entry for c in spent if isinstance(c.entry, ExpenseCreate)]
        ids = await expenses.create_many(session, user, entries, check_budgets=False)
        await repository.link(
            "expense_id", [(c.entry_id, i) for c, i in zip(spent, ids, strict=True)]
        )
        imported.expenses += len(ids)
        touched.update(entry.category.lower() for entry in entries)
    if earned:
        income_entries = [c.entry for c in earned if isinstance(c.entry, IncomeCreate)]
        ids = await incomes.create_many(session, user, income_entries)
        await repository.link(
            "income_id", [(c.entry_id, i) for c, i in zip(earned, ids, strict=True)]
        )
        imported.incomes += len(ids)
    return touched


def _file_category(row: StatementRow) -> str | None:
    # A category column the file itself has (a CSV mapping's `category`), after the
    # person's own rules and learning, before the fallback.
    if row.category and row.category.strip():
        return row.category.strip()[:64]
    return None


async def list_page(session: AsyncSession, user: User, paging: Paging) -> Page[Import]:
    return await ImportRepository(session).list_page(user.id, paging)


async def get(session: AsyncSession, user: User, import_id: int) -> Import:
    return await owned(ImportRepository(session), user, import_id, "import")


async def undo(session: AsyncSession, user: User, import_id: int) -> None:
    """Remove exactly what the import created (entries deleted since stay deleted) and its
    keys, so the same statement can be imported again."""
    imported = await get(session, user, import_id)
    await ImportRepository(session).remove_with_entries(imported)
