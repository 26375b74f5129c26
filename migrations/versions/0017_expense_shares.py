"""household rosters: who shares each shared expense, frozen when it is recorded

An equal split used to be taken over a household's members of the moment the balances
were read, so leaving wiped one's debts and joining made one pay for the past. Now
each shared expense names a roster (the household's members when it was recorded),
and its equal split is over that roster.

Backfill: the expenses shared before this revision have no record of who the members
were when they were recorded, so each household gets one roster of its members of
today, and all its shared expenses are put on it: the balances read the same
right after the upgrade as before it, and only later joins and leaves change nothing
of them any more.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.models.base

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "household_rosters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("created_at", core.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_household_rosters_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_rosters")),
    )
    op.create_index("ix_household_rosters_household", "household_rosters", ["household_id", "id"])
    op.create_table(
        "household_roster_members",
        sa.Column("roster_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["roster_id"],
            ["household_rosters.id"],
            name=op.f("fk_household_roster_members_roster_id_household_rosters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_household_roster_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("roster_id", "user_id", name=op.f("pk_household_roster_members")),
    )
    op.create_table(
        "expense_rosters",
        sa.Column("expense_id", sa.Integer(), nullable=False),
        sa.Column("roster_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["expense_id"],
            ["expenses.id"],
            name=op.f("fk_expense_rosters_expense_id_expenses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["roster_id"],
            ["household_rosters.id"],
            name=op.f("fk_expense_rosters_roster_id_household_rosters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("expense_id", name=op.f("pk_expense_rosters")),
    )
    op.create_index("ix_expense_rosters_roster", "expense_rosters", ["roster_id"])

    # The backfill: one roster per household (today's members), holding all its shared
    # expenses. One roster per household, so a roster is found by its household_id.
    now = sa.bindparam("now", core.models.base.utcnow(), type_=core.models.base.UTCDateTime())
    op.get_bind().execute(
        sa.text(
            "INSERT INTO household_rosters (household_id, created_at) "
            "SELECT id, :now FROM households ORDER BY id"
        ).bindparams(now)
    )
    op.execute(
        "INSERT INTO household_roster_members (roster_id, user_id) "
        "SELECT r.id, m.user_id FROM household_rosters r "
        "JOIN household_members m ON m.household_id = r.household_id"
    )
    op.execute(
        "INSERT INTO expense_rosters (expense_id, roster_id) "
        "SELECT e.id, r.id FROM expenses e "
        "JOIN household_rosters r ON r.household_id = e.household_id"
    )


def downgrade() -> None:
    op.drop_index("ix_expense_rosters_roster", table_name="expense_rosters")
    op.drop_table("expense_rosters")
    op.drop_table("household_roster_members")
    op.drop_index("ix_household_rosters_household", table_name="household_rosters")
    op.drop_table("household_rosters")
