"""The key that says two rows are the same transaction, across files and imports."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator

from core.imports.merchant import merchant_key
from core.imports.statement import StatementRow


def _canonical_amount(row: StatementRow) -> str:
    # `12.5` and `12.50` are one amount; `:f` keeps `100` from becoming `1E+2`.
    return f"{row.amount.normalize():f}"


def dedupe_keys(rows: Iterable[StatementRow]) -> Iterator[str]:
    """One key per row, in order: the file's own id where it has one, else date, amount,
    currency, merchant text and how many times that same row already occurred that day in
    this file (two identical rows in one file are two transactions)."""
    # Keyed by a 12-byte digest of the row, not the row's strings: what a long statement
    # keeps in memory is one small entry per distinct row.
    seen: Counter[bytes] = Counter()
    for row in rows:
        if row.external_id:
            parts: tuple[str, ...] = ("id", row.external_id.strip())
        else:
            identity = (
                row.date.isoformat(),
                _canonical_amount(row),
                row.currency or "",
                merchant_key(row.description) or row.description.strip().casefold(),
            )
            digest = hashlib.blake2b("\x1f".join(identity).encode(), digest_size=12).digest()
            seen[digest] += 1
            parts = ("row", *identity, str(seen[digest]))
        yield hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
