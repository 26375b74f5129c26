from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, UTCDateTime, utcnow


class Notification(Base):
    """An alert for one user: listed by the API, pushed live, sent to their chat."""

    __tablename__ = "notifications"
    __table_args__ = (
        # "Once" is the database's promise: one row per user and event key, so
        # concurrent requests, retries and scheduler replicas never double up.
        UniqueConstraint("user_id", "dedupe_key"),
        Index("ix_notifications_user_created", "user_id", "created_at", "id"),
        Index("ix_notifications_undelivered", "delivered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str | None] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set once the linked Telegram chat has it (the bot's delivery loop).
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivery_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    # Not before: a retry's backoff, or the lease of a sender that claimed it.
    next_delivery_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
