"""households, their members, invites, expense shares, settlements; household_id on
expenses, incomes and budgets; users.telegram_username

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.models.base
import core.models.households

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHARED_TABLES = ("expenses", "incomes", "budgets")


def upgrade() -> None:
    op.create_table(
        "households",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", core.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_households")),
        sa.UniqueConstraint("chat_id", name=op.f("uq_households_chat_id")),
    )
    op.create_table(
        "household_members",
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("joined_at", core.models.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "role IN ('owner', 'member')", name=op.f("ck_household_members_role_known")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_household_members_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_household_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("household_id", "user_id", name=op.f("pk_household_members")),
    )
    op.create_index("ix_household_members_user", "household_members", ["user_id", "household_id"])
    op.create_table(
        "household_invites",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("expires_at", core.models.base.UTCDateTime(), nullable=False),
        sa.Column("used_by", sa.Integer(), nullable=True),
        sa.Column("used_at", core.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_household_invites_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_household_invites_created_by_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["used_by"],
            ["users.id"],
            name=op.f("fk_household_invites_used_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_household_invites")),
    )
    op.create_table(
        "expense_shares",
        sa.Column("expense_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("share", core.models.households.Share(), nullable=False),
        sa.CheckConstraint("share > 0", name=op.f("ck_expense_shares_share_positive")),
        sa.ForeignKeyConstraint(
            ["expense_id"],
            ["expenses.id"],
            name=op.f("fk_expense_shares_expense_id_expenses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_expense_shares_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("expense_id", "user_id", name=op.f("pk_expense_shares")),
    )
    op.create_table(
        "settlements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("from_user_id", sa.Integer(), nullable=False),
        sa.Column("to_user_id", sa.Integer(), nullable=False),
        sa.Column("amount", core.models.base.Money(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", core.models.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_settlements_amount_positive")),
        sa.CheckConstraint("from_user_id <> to_user_id", name=op.f("ck_settlements_two_people")),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_settlements_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["from_user_id"],
            ["users.id"],
            name=op.f("fk_settlements_from_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_user_id"],
            ["users.id"],
            name=op.f("fk_settlements_to_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_settlements_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlements")),
    )
    op.create_index("ix_settlements_household", "settlements", ["household_id", "id"])

    op.create_table(
        "household_chat_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=160), nullable=False),
        sa.Column("created_at", core.models.base.UTCDateTime(), nullable=False),
        sa.Column("delivered_at", core.models.base.UTCDateTime(), nullable=True),
        sa.Column("delivery_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_delivery_at", core.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_household_chat_posts_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_chat_posts")),
        sa.UniqueConstraint(
            "household_id",
            "dedupe_key",
            name=op.f("uq_household_chat_posts_household_id_dedupe_key"),
        ),
    )
    op.create_index("ix_household_chat_posts_undelivered", "household_chat_posts", ["delivered_at"])

    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in SHARED_TABLES:
        if sqlite:
            # SQLite adds a column with its reference in place; a batch copy of the
            # table would lose the expression index on expenses.
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN household_id INTEGER "
                f"CONSTRAINT fk_{table}_household_id_households "
                "REFERENCES households (id) ON DELETE SET NULL"
            )
        else:
            op.add_column(table, sa.Column("household_id", sa.Integer(), nullable=True))
            op.create_foreign_key(
                op.f(f"fk_{table}_household_id_households"),
                table,
                "households",
                ["household_id"],
                ["id"],
                ondelete="SET NULL",
            )
    # Partial: most entries are not shared and need no entry in these indexes.
    shared = sa.text("household_id IS NOT NULL")
    for name, table, columns in (
        ("ix_expenses_household_date", "expenses", ["household_id", "date", "id"]),
        ("ix_incomes_household_date", "incomes", ["household_id", "date", "id"]),
        ("ix_budgets_household", "budgets", ["household_id"]),
    ):
        op.create_index(name, table, columns, sqlite_where=shared, postgresql_where=shared)
    op.add_column("users", sa.Column("telegram_username", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "telegram_username")
    op.drop_index("ix_budgets_household", table_name="budgets")
    op.drop_index("ix_incomes_household_date", table_name="incomes")
    op.drop_index("ix_expenses_household_date", table_name="expenses")
    for table in SHARED_TABLES:
        if op.get_bind().dialect.name != "sqlite":
            op.drop_constraint(f"fk_{table}_household_id_households", table, type_="foreignkey")
        op.drop_column(table, "household_id")
    op.drop_index("ix_household_chat_posts_undelivered", table_name="household_chat_posts")
    op.drop_table("household_chat_posts")
    op.drop_index("ix_settlements_household", table_name="settlements")
    op.drop_table("settlements")
    op.drop_table("expense_shares")
    op.drop_table("household_invites")
    op.drop_index("ix_household_members_user", table_name="household_members")
    op.drop_table("household_members")
    op.drop_table("households")
