"""The whole statement read, checked and keyed before the first database write: pure work
that runs in a worker process (core.imports.pool) and hands back a compact result.

What comes back is bounded by the file: at most ROWS_MAX rows (each a small tuple) and
FAILED_LISTED failures; a file whose first START_FAILURES_MAX rows all fail is refused
there and then.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from pydantic import ValidationError

from core.exceptions import Invalid
from core.expenses.schemas import ExpenseCreate
from core.imports.dedupe import file_id_key, identity, identity_digest, occurrence_key
from core.imports.reader import MappingInput, iter_statement
from core.imports.statement import RowFailure, StatementRow
from core.incomes.schemas import IncomeCreate
from core.money import check_minor_units
from core.rules.service import Categorizer, merchant_of

FALLBACK_CATEGORY = "other"
DESCRIPTION_MAX = 1000
# The answer lists this many failed rows at most; past it, failures are only counted.
FAILED_LISTED = 1000
# A file whose first this-many rows all fail is not a statement: refused without reading on.
START_FAILURES_MAX = 1000
# Transactions per import: a year of a busy account is a few thousand; this bounds the
# memory an import takes and how long its one transaction holds the database's writer.
ROWS_MAX = 100_000


@dataclass(frozen=True)
class ImportOptions:
    format: str | None = None
    currency: str | None = None
    mapping: MappingInput = None
    date_format: str | None = None
    decimal: str | None = None
    dry_run: bool = False


class Row(NamedTuple):
    """A row to create, checked: everything but the category the person's learning gives."""

    line: int
    spent: bool  # an expense (money out), else an income
    amount: Decimal  # positive
    date: date
    description: str
    currency: str | None  # None when entries do not keep their own currency
    rule_category: str | None  # from the person's rules, which come first
    merchant: str  # what learning is looked up by ("" for none)
    file_category: str | None  # the file's own category column, after rules and learning
    key: str  # the dedupe key


@dataclass
class Prepared:
    format: str
    rows: list[Row] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)  # at most FAILED_LISTED
    readable: int = 0  # rows the reader could read (valid or not)
    repeated: int = 0  # rows whose file id came earlier in the same file: duplicates


@dataclass(frozen=True)
class Refused:
    """An Invalid raised in the worker, handed back as a value: an exception crossing the
    process boundary keeps only its message, and the answer must name the field."""

    message: str
    field: str | None


def currency_kept() -> bool:
    # SPEC section 5: an entry keeps its own currency once the ledger knows currencies.
    return "currency" in ExpenseCreate.model_fields


def prepare(
    data: bytes,
    options: ImportOptions,
    user_currency: str,
    rules: tuple[tuple[str, str, str | None], ...],
) -> Prepared | Refused:
    """The statement in `data`, read whole: rows checked, keyed and filed by `rules`
    ((contains folded, category, kind) in order), or why it is refused."""
    try:
        return _prepare(data, options, user_currency, rules)
    except Invalid as error:
        return Refused(error.message, error.field)


def _prepare(
    data: bytes,
    options: ImportOptions,
    user_currency: str,
    rules: tuple[tuple[str, str, str | None], ...],
) -> Prepared:
    kind, items = iter_statement(
        data,
        format=options.format,
        currency=options.currency,
        mapping=options.mapping,
        date_format=options.date_format,
        decimal=options.decimal,
    )
    prepared = Prepared(format=kind)
    filing = Categorizer(rules=rules, learned={})
    keep_currency = currency_kept()
    file_ids: set[str] = set()
    occurrences: Counter[bytes] = Counter()
    first_failure: tuple[int, str] | None = None
    failures = 0
    try:
        for item in items:
            if isinstance(item, RowFailure):
                failures += 1
                first_failure = _earlier(first_failure, item.line, item.reason)
                _list(prepared.failed, item.line, item.reason)
                if not prepared.readable and failures >= START_FAILURES_MAX:
                    raise _unreadable(kind, first_failure, f" in its first {failures} rows")
                continue
            prepared.readable += 1
            if prepared.readable > ROWS_MAX:
                raise Invalid(
                    f"file: more than {ROWS_MAX:,} transactions; import it in parts",
                    field="file",
                )
            _add(prepared, item, file_ids, occurrences, filing, keep_currency, user_currency)
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()
    if not prepared.readable:
        raise _unreadable(kind, first_failure, "")
    prepared.failed.sort(key=lambda failure: failure["line"])
    return prepared


def _earlier(first: tuple[int, str] | None, line: int, reason: str) -> tuple[int, str]:
    return (line, reason) if first is None or line < first[0] else first


def _unreadable(kind: str, first: tuple[int, str] | None, where: str) -> Invalid:
    detail = f" (line {first[0]}: {first[1]})" if first else ""
    return Invalid(f"file: no readable {kind} transactions{where}{detail}", field="file")


def _list(failed: list[dict[str, Any]], line: int, reason: str) -> None:
    if len(failed) < FAILED_LISTED:
        failed.append({"line": line, "reason": reason})


def _add(
    prepared: Prepared,
    row: StatementRow,
    file_ids: set[str],
    occurrences: Counter[bytes],
    filing: Categorizer,
    keep_currency: bool,
    user_currency: str,
) -> None:
    key = file_id_key(row)
    if key is not None:
        if key in file_ids:
            prepared.repeated += 1
            return
    else:
        # Counted for every readable row, valid or not, as dedupe_keys counts: the keys
        # of a file stay the same when a rule or a currency makes a row fail.
        parts = identity(row)
        digest = identity_digest(parts)
        occurrences[digest] += 1
        key = occurrence_key(parts, occurrences[digest])
    checked = _checked(row, keep_currency, user_currency, prepared.failed)
    if checked is None:
        return
    if row.external_id:
        file_ids.add(key)
    spent, amount, day, description, currency = checked
    entry_kind = "expense" if spent else "income"
    # Filed by the row's own text, as a chat entry is by its message.
    prepared.rows.append(
        Row(
            line=row.line,
            spent=spent,
            amount=amount,
            date=day,
            description=description,
            currency=currency,
            rule_category=filing.category(row.description, entry_kind) if filing.rules else None,
            merchant=merchant_of(row.description),
            file_category=_file_category(row),
            key=key,
        )
    )


def _checked(
    row: StatementRow, keep_currency: bool, user_currency: str, failed: list[dict[str, Any]]
) -> tuple[bool, Decimal, date, str, str | None] | None:
    """(spent, amount, date, description, currency) as the entry schemas take them, or
    None with the reason listed."""
    if row.amount == 0:
        _list(failed, row.line, "amount: zero is neither money in nor out")
        return None
    currency = row.currency or user_currency
    if not keep_currency and currency != user_currency:
        _list(failed, row.line, f"currency: {currency} is not your currency {user_currency}")
        return None
    try:  # a row, not the whole import, fails on more decimals than its currency has
        check_minor_units(abs(row.amount), currency)
    except Invalid as error:
        _list(failed, row.line, f"amount: {error.message}")
        return None
    except ArithmeticError:  # decimal.InvalidOperation: NaN, Infinity, 1E+30
        _list(failed, row.line, "amount: not a number finbot can hold")
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
            entry: ExpenseCreate | IncomeCreate = ExpenseCreate.model_validate(
                {**values, "category": FALLBACK_CATEGORY}
            )
        else:
            entry = IncomeCreate.model_validate({**values, "source": FALLBACK_CATEGORY})
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "row"
        _list(failed, row.line, f"{where}: {problem['msg']}")
        return None
    assert entry.date is not None  # given above
    return (
        isinstance(entry, ExpenseCreate),
        entry.amount,
        entry.date,
        entry.description,
        entry.currency if keep_currency else None,
    )


def _file_category(row: StatementRow) -> str | None:
    # A category column the file itself has (a CSV mapping's `category`), after the
    # person's own rules and learning, before the fallback.
    if row.category and row.category.strip():
        return row.category.strip()[:64]
    return None


def rows_in_chunks(rows: list[Row], size: int) -> Iterable[list[Row]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
