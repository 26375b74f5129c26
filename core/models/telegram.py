from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, UTCDateTime, utcnow


class TelegramLinkCode(Base):
    """A one-time code that links a chat to a REST account (`/start <code>`)."""

    __tablename__ = "telegram_link_codes"

    # The code's SHA-256 in hex, never the code (core.telegram.service.link_code_digest).
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ChatEntry(Base):
    """What a chat recorded, newest last: /undo takes back the last one. `message_id`
    is the person's message that made it, so that editing that message edits the
    entry; unique per chat, so a retried update or a second tap never records twice."""

    __tablename__ = "chat_entries"
    __table_args__ = (
        Index("ix_chat_entries_chat", "chat_id", "id"),
        Index("ix_chat_entries_message", "chat_id", "message_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))  # expense | income
    object_id: Mapped[int] = mapped_column()
    message_id: Mapped[int | None] = mapped_column(BigInteger)  # None: not from a text message
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
