"""auth tokens remember their last use (they expire FINBOT_TOKEN_TTL_DAYS after it)

Revision ID: 0008
Revises: 0007

Existing tokens count as used at the upgrade, so nobody is logged out by it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.models.base import UTCDateTime, utcnow

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A constant default, because SQLite adds a NOT NULL column only with one; the
    # app always writes the value. Existing tokens then count as used now.
    op.add_column(
        "auth_tokens",
        sa.Column(
            "last_used_at",
            UTCDateTime(timezone=True),
            nullable=False,
            server_default=sa.text("'1970-01-01 00:00:00'"),
        ),
    )
    tokens = sa.table("auth_tokens", sa.column("last_used_at", UTCDateTime(timezone=True)))
    op.execute(tokens.update().values(last_used_at=utcnow()))


def downgrade() -> None:
    op.drop_column("auth_tokens", "last_used_at")
