from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, false, func, text
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, Money, UTCDateTime, utcnow

PERIODS = ("daily", "weekly", "monthly", "yearly")


def same_as(column: str) -> Callable[[Any], Any]:
    """A default copying another column of the row: rows written straight to the
    table (bulk loads) are in the base currency unless they say otherwise."""

    def default(context: Any) -> Any:
        return context.get_current_parameters()[column]

    return default


class Expense(Base):
    __tablename__ = "expenses"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_expenses_user_date", "user_id", "date", "id"),
        # Partial: most entries are nobody's but their owner's, and need no entry here.
        Index(
            "ix_expenses_household_date",
            "household_id",
            "date",
            "id",
            sqlite_where=text("household_id IS NOT NULL"),
            postgresql_where=text("household_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Shared with this household's members (SPEC section 8); None: the owner's alone.
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="SET NULL")
    )
    category: Mapped[str] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(Money())
    # What was paid, as entered; base_amount is it in the user's base currency at
    # the rate of rate_date (the entry's date or the nearest earlier day with one).
    # EUR, like a new user's base, only for rows written straight to the table;
    # the services always set it.
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    base_amount: Mapped[Decimal] = mapped_column(Money(), default=same_as("amount"))
    rate_date: Mapped[date] = mapped_column(Date, default=same_as("date"))
    date: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Income(Base):
    __tablename__ = "incomes"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_incomes_user_date", "user_id", "date", "id"),
        Index(
            "ix_incomes_household_date",
            "household_id",
            "date",
            "id",
            sqlite_where=text("household_id IS NOT NULL"),
            postgresql_where=text("household_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Shared with this household's members (SPEC section 8); None: the owner's alone.
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="SET NULL")
    )
    source: Mapped[str] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(Money())
    # What was paid, as entered; base_amount is it in the user's base currency at
    # the rate of rate_date (the entry's date or the nearest earlier day with one).
    # EUR, like a new user's base, only for rows written straight to the table;
    # the services always set it.
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    base_amount: Mapped[Decimal] = mapped_column(Money(), default=same_as("amount"))
    rate_date: Mapped[date] = mapped_column(Date, default=same_as("date"))
    date: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Budget(Base):
    __tablename__ = "budgets"
    __table_args__ = (
        CheckConstraint('"limit" > 0', name="limit_positive"),
        CheckConstraint("period IN ('daily', 'weekly', 'monthly', 'yearly')", name="period_known"),
        Index("ix_budgets_user", "user_id"),
        Index(
            "ix_budgets_household",
            "household_id",
            sqlite_where=text("household_id IS NOT NULL"),
            postgresql_where=text("household_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Shared with this household's members (SPEC section 8); None: the owner's alone.
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="SET NULL")
    )
    category: Mapped[str] = mapped_column(String(64))
    limit: Mapped[Decimal] = mapped_column(Money())
    period: Mapped[str] = mapped_column(String(8))
    # What was left (or overspent) last period is added to this period's limit.
    rollover: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Goal(Base):
    __tablename__ = "goals"
    __table_args__ = (
        CheckConstraint("target_amount > 0", name="target_positive"),
        CheckConstraint("saved_amount >= 0", name="saved_not_negative"),
        Index("ix_goals_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    target_amount: Mapped[Decimal] = mapped_column(Money())
    saved_amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    description: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# Budgets match expenses by category in any case (alerts, the scheduler's sweep).
Index("ix_expenses_user_category_date", Expense.user_id, func.lower(Expense.category), Expense.date)
