"""entries keep their own currency and carry base_amount and rate_date; money has 3 decimals

Revision ID: 0011
Revises: 0010

Money columns go from 2 to 3 decimals (KWD, BHD): NUMERIC(15, 3) on PostgreSQL,
integer thousandths instead of cents on SQLite (stored values times 10).
Existing entries were in their user's currency: base_amount = amount at their own date.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.models.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY_COLUMNS = {
    "expenses": ("amount",),
    "incomes": ("amount",),
    "budgets": ("limit",),
    "goals": ("target_amount", "saved_amount"),
}
ENTRY_TABLES = ("expenses", "incomes")


def _rescale(sqlite_factor: str, postgres_scale: tuple[int, int]) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, columns in MONEY_COLUMNS.items():
        for column in columns:
            if sqlite:
                op.execute(f'UPDATE {table} SET "{column}" = "{column}" {sqlite_factor}')
            else:
                op.alter_column(
                    table, column, type_=sa.Numeric(*postgres_scale), existing_nullable=False
                )


def upgrade() -> None:
    _rescale("* 10", (15, 3))
    for table in ENTRY_TABLES:
        # Constant defaults: SQLite adds a NOT NULL column only with one; the app
        # always writes these, and the UPDATE below fills the existing rows.
        op.add_column(
            table,
            sa.Column("currency", sa.String(3), nullable=False, server_default="EUR"),
        )
        op.add_column(
            table,
            sa.Column(
                "base_amount", core.models.base.Money(), nullable=False, server_default="0"
            ),
        )
        op.add_column(
            table,
            sa.Column(
                "rate_date", sa.Date(), nullable=False, server_default=sa.text("'1970-01-01'")
            ),
        )
        op.execute(
            f"UPDATE {table} SET base_amount = amount, rate_date = date, "
            f"currency = (SELECT users.currency FROM users WHERE users.id = {table}.user_id)"
        )


def downgrade() -> None:
    for table in ENTRY_TABLES:
        # Back to one currency per user: the base amounts are what the old schema meant.
        op.execute(f"UPDATE {table} SET amount = base_amount")
        with op.batch_alter_table(table) as batch:
            batch.drop_column("rate_date")
            batch.drop_column("base_amount")
            batch.drop_column("currency")
    # Rounded to cents first: 3-decimal amounts do not fit the old columns exactly.
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, columns in MONEY_COLUMNS.items():
        for column in columns:
            if sqlite:
                op.execute(f'UPDATE {table} SET "{column}" = ROUND("{column}" / 10.0)')
    if not sqlite:
        _rescale("", (14, 2))
