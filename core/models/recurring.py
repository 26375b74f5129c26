"""Recurring entries (bills, salaries) and the occurrences already posted from them."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, Money, UTCDateTime, utcnow


class RecurringEntry(Base):
    __tablename__ = "recurring_entries"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("kind IN ('expense', 'income')", name="kind_known"),
        Index("ix_recurring_entries_user", "user_id", "id"),
        # The job's one selection: every entry with something to do on or before today.
        Index("ix_recurring_entries_wake_on", "wake_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    # The expense's category or the income's source.
    name: Mapped[str] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(Text, default="")
    rrule: Mapped[str] = mapped_column(String(255))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    remind_days_before: Mapped[int | None] = mapped_column(Integer)
    # The first occurrence not posted yet (None: the rule is over).
    next_date: Mapped[date | None] = mapped_column(Date)
    # The occurrence whose reminder went out, so it is not sent again.
    reminded_for: Mapped[date | None] = mapped_column(Date)
    # The local day the job next has something to do: remind about or post next_date.
    wake_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RecurringPosting(Base):
    """One row per occurrence recorded: the key that makes posting happen once."""

    __tablename__ = "recurring_postings"
    __table_args__ = (UniqueConstraint("recurring_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recurring_id: Mapped[int] = mapped_column(
        ForeignKey("recurring_entries.id", ondelete="CASCADE")
    )
    date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
