"""expenses by user, category (any case) and date

Revision ID: 0007
Revises: 0006

Budgets match expenses by lower(category); this index serves the alert check on
every expense and the scheduler's sweep of all budgets.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_expenses_user_category_date",
        "expenses",
        ["user_id", sa.text("lower(category)"), "date"],
    )


def downgrade() -> None:
    op.drop_index("ix_expenses_user_category_date", table_name="expenses")
