"""rates: ECB reference rates per EUR

Revision ID: 0010
Revises: 0007

Schema only: the shipped ECB history is loaded at first use
(core.currencies.service.ensure_rates_loaded), so an emptied table fills again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.models.rates

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rate", core.models.rates.ExactRate(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rates")),
        sa.UniqueConstraint("currency", "day", name=op.f("uq_rates_currency_day")),
    )


def downgrade() -> None:
    op.drop_table("rates")
