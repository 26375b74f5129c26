"""Households: people who keep money together (SPEC section 8).

Expenses, incomes and budgets carry an optional `household_id`: such an entry is
shared, seen by every member; without it an entry is its owner's alone.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from core.models.base import Base, Money, UTCDateTime, utcnow

ROLES = ("owner", "member")
SHARE_SCALE = 9
SHARE_UNIT = 10**SHARE_SCALE


class Share(TypeDecorator[Decimal]):
    """A member's share of an expense (0 < share <= 1), exact: stored as an integer
    count of billionths on every database, so balance SQL does integer arithmetic
    the same way on SQLite and PostgreSQL (SQL reading the column sees the integer)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        units = Decimal(value).scaleb(SHARE_SCALE)
        if units != units.to_integral_value():
            raise ValueError(f"a share has at most {SHARE_SCALE} decimals")
        return int(units)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(int(value)).scaleb(-SHARE_SCALE)


class Household(Base):
    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    # Balances are kept in this currency: the owner's base currency at creation.
    currency: Mapped[str] = mapped_column(String(3))
    # The Telegram group bound with /household; one household per group.
    chat_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class HouseholdMember(Base):
    __tablename__ = "household_members"
    __table_args__ = (
        CheckConstraint("role IN ('owner', 'member')", name="role_known"),
        Index("ix_household_members_user", "user_id", "household_id"),
    )

    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(8), default="member")
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class HouseholdInvite(Base):
    """A one-time invite code; only its SHA-256 is kept, like tokens."""

    __tablename__ = "household_invites"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class HouseholdRoster(Base):
    """A household's members at one moment, frozen: the people an equal split is over.

    A new roster is made when an expense is recorded and the latest one no longer
    matches the members (someone joined or left), so rosters are few: one per change
    of membership that was followed by an expense."""

    __tablename__ = "household_rosters"
    __table_args__ = (Index("ix_household_rosters_household", "household_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class HouseholdRosterMember(Base):
    __tablename__ = "household_roster_members"

    roster_id: Mapped[int] = mapped_column(
        ForeignKey("household_rosters.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )


class ExpenseRoster(Base):
    """Who shares a shared expense: the household's members when it was recorded (or
    moved into the household). Its equal split is over that roster, so a member who
    joins later owes nothing of it and one who leaves keeps their share."""

    __tablename__ = "expense_rosters"
    __table_args__ = (Index("ix_expense_rosters_roster", "roster_id"),)

    expense_id: Mapped[int] = mapped_column(
        ForeignKey("expenses.id", ondelete="CASCADE"), primary_key=True
    )
    roster_id: Mapped[int] = mapped_column(ForeignKey("household_rosters.id", ondelete="CASCADE"))


class ExpenseShare(Base):
    """An uneven split of a shared expense: one row per member with a share.
    An expense without rows is split equally over its roster (ExpenseRoster)."""

    __tablename__ = "expense_shares"
    __table_args__ = (CheckConstraint("share > 0", name="share_positive"),)

    expense_id: Mapped[int] = mapped_column(
        ForeignKey("expenses.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    share: Mapped[Decimal] = mapped_column(Share())


class Settlement(Base):
    """Money one member paid another to settle up, in the household's currency."""

    __tablename__ = "settlements"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("from_user_id <> to_user_id", name="two_people"),
        Index("ix_settlements_household", "household_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    from_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    to_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    date: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class HouseholdChatPost(Base):
    """A message for a household's Telegram group (a shared budget's alert), once per
    event: unique per household and dedupe key, delivered by the bot like a
    notification is to a private chat."""

    __tablename__ = "household_chat_posts"
    __table_args__ = (
        UniqueConstraint("household_id", "dedupe_key"),
        Index("ix_household_chat_posts_undelivered", "delivered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivery_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_delivery_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
