"""Statements in: reading bank files (CSV, OFX/QFX, QIF, CAMT.053, MT940) into rows."""

from core.imports.dedupe import dedupe_keys
from core.imports.merchant import merchant_key
from core.imports.reader import iter_statement, read_statement
from core.imports.statement import RowFailure, Statement, StatementRow

__all__ = [
    "RowFailure",
    "Statement",
    "StatementRow",
    "dedupe_keys",
    "iter_statement",
    "merchant_key",
    "read_statement",
]
