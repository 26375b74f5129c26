"""recurring entries, their postings, users.pay_day and budgets.rollover

Revision ID: 0015
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.models.base

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recurring_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("amount", core.models.base.Money(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("rrule", sa.String(length=255), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("remind_days_before", sa.Integer(), nullable=True),
        sa.Column("next_date", sa.Date(), nullable=True),
        sa.Column("reminded_for", sa.Date(), nullable=True),
        sa.Column("wake_on", sa.Date(), nullable=True),
        sa.Column("created_at", core.models.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_recurring_entries_amount_positive")),
        sa.CheckConstraint(
            "kind IN ('expense', 'income')", name=op.f("ck_recurring_entries_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_recurring_entries_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recurring_entries")),
    )
    op.create_index("ix_recurring_entries_user", "recurring_entries", ["user_id", "id"])
    op.create_index("ix_recurring_entries_wake_on", "recurring_entries", ["wake_on"])
    op.create_table(
        "recurring_postings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recurring_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("created_at", core.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recurring_id"],
            ["recurring_entries.id"],
            name=op.f("fk_recurring_postings_recurring_id_recurring_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recurring_postings")),
        sa.UniqueConstraint(
            "recurring_id", "date", name=op.f("uq_recurring_postings_recurring_id_date")
        ),
    )
    # Plain ADD COLUMN: a batch copy of `users` would lose its expression index on SQLite.
    op.add_column(
        "users", sa.Column("pay_day", sa.Integer(), nullable=False, server_default="1")
    )
    op.add_column(
        "budgets", sa.Column("rollover", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    op.drop_column("budgets", "rollover")
    op.drop_column("users", "pay_day")
    op.drop_table("recurring_postings")
    op.drop_index("ix_recurring_entries_wake_on", table_name="recurring_entries")
    op.drop_index("ix_recurring_entries_user", table_name="recurring_entries")
    op.drop_table("recurring_entries")
