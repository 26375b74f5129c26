"""The key that says two rows are the same transaction, across files and imports.

A row with the file's own id is keyed by it. A row without one is keyed by its identity
(date, amount, currency, merchant text) and how many times that same identity already
occurred in the file: two identical rows in one file are two transactions. The import
(core.imports.prepare) and `dedupe_keys` both count occurrences over the whole file, in
memory: one counter per distinct row.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator

from core.imports.merchant import merchant_key
from core.imports.statement import StatementRow

# The identity's digest: what the occurrence counter is keyed by.
IDENTITY_DIGEST_BYTES = 12


def _canonical_amount(row: StatementRow) -> str:
    # `12.5` and `12.50` are one amount; `:f` keeps `100` from becoming `1E+2`.
    return f"{row.amount.normalize():f}"


def _hashed(parts: tuple[str, ...]) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def file_id_key(row: StatementRow) -> str | None:
    """The key of a row that carries the file's own id; None for one that does not."""
    if not row.external_id:
        return None
    return _hashed(("id", row.external_id.strip()))


def identity(row: StatementRow) -> tuple[str, ...]:
    """What makes two rows without a file id the same transaction (bar the count)."""
    return (
        row.date.isoformat(),
        _canonical_amount(row),
        row.currency or "",
        merchant_key(row.description) or row.description.strip().casefold(),
    )


def identity_digest(parts: tuple[str, ...]) -> bytes:
    """A compact digest of an identity, for counting its occurrences."""
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=IDENTITY_DIGEST_BYTES).digest()


def occurrence_key(parts: tuple[str, ...], occurrence: int) -> str:
    """The key of the `occurrence`-th row (1-based) of this identity in its file."""
    return _hashed(("row", *parts, str(occurrence)))


def dedupe_keys(rows: Iterable[StatementRow]) -> Iterator[str]:
    """One key per row, in order, counting occurrences in memory (one entry per distinct
    row): the same keys the import gives."""
    seen: Counter[bytes] = Counter()
    for row in rows:
        key = file_id_key(row)
        if key is None:
            parts = identity(row)
            digest = identity_digest(parts)
            seen[digest] += 1
            key = occurrence_key(parts, seen[digest])
        yield key
