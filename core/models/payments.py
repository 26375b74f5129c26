from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, UTCDateTime, utcnow


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        # The same Idempotency-Key from the same user is the same payment.
        UniqueConstraint("user_id", "idempotency_key"),
        Index("ix_payments_user_created", "user_id", "created_at"),
        Index("ix_payments_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Minor units (cents, yen, fils): exact for 0-, 2- and 3-decimal currencies alike.
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    payment_method: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32), default="pending")
    provider: Mapped[str] = mapped_column(String(16), default="stripe")
    provider_payment_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    next_action: Mapped[str | None] = mapped_column(Text)  # JSON, as the provider gave it
    failure_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ProcessedEvent(Base):
    """A provider event already applied: a retried webhook changes nothing twice."""

    __tablename__ = "processed_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
