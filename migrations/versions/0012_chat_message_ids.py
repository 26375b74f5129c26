"""chat entries remember the message that made them (edits follow it)

Revision ID: 0012
Revises: 0010

A nullable column and a unique (chat_id, message_id): entries made before this
have no message id (NULLs never collide), and an entry is made once per message.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN and CREATE INDEX, no batch copy: a batch on SQLite reflects
    # `users` too, whose expression index SQLite cannot reflect.
    op.add_column("chat_entries", sa.Column("message_id", sa.BigInteger(), nullable=True))
    op.create_index(
        "ix_chat_entries_message", "chat_entries", ["chat_id", "message_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index("ix_chat_entries_message", table_name="chat_entries")
    with op.batch_alter_table("chat_entries", schema=None) as batch_op:
        batch_op.drop_column("message_id")
