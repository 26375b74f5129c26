"""Statements in: imports and the keys that keep a transaction from coming in twice, rules,
categories learned per merchant, and tags on entries (kept here so the ledger tables stay as
they are)."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, UTCDateTime, utcnow

ENTRY_KINDS = ("expense", "income")


class Import(Base):
    __tablename__ = "imports"
    __table_args__ = (Index("ix_imports_user", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    format: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(255), default="")
    expenses: Mapped[int] = mapped_column(Integer, default=0)
    incomes: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ImportEntry(Base):
    """One imported transaction: its dedupe key, unique per user, is what makes a second
    import of it (by any process) a duplicate; the link says what to remove on undo."""

    __tablename__ = "import_entries"
    __table_args__ = (
        UniqueConstraint("user_id", "dedupe_key"),
        Index("ix_import_entries_import", "import_id"),
        # Deleting an expense or income sets its link NULL: found by these, not a scan.
        Index("ix_import_entries_expense", "expense_id"),
        Index("ix_import_entries_income", "income_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id", ondelete="CASCADE"))
    dedupe_key: Mapped[str] = mapped_column(String(64))
    # A deleted entry keeps its key, so importing the statement again does not bring it back.
    expense_id: Mapped[int | None] = mapped_column(
        ForeignKey("expenses.id", ondelete="SET NULL"), default=None
    )
    income_id: Mapped[int | None] = mapped_column(
        ForeignKey("incomes.id", ondelete="SET NULL"), default=None
    )


class Rule(Base):
    __tablename__ = "rules"
    __table_args__ = (
        CheckConstraint("kind IS NULL OR kind IN ('expense', 'income')", name="kind_known"),
        Index("ix_rules_user_position", "user_id", "position", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    contains: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str | None] = mapped_column(String(8), default=None)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MerchantCategory(Base):
    """What the person filed a merchant under last (a chat re-file, a PATCH)."""

    __tablename__ = "merchant_categories"
    __table_args__ = (UniqueConstraint("user_id", "kind", "merchant"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    merchant: Mapped[str] = mapped_column(String(255))
    category: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ExpenseTag(Base):
    __tablename__ = "expense_tags"
    __table_args__ = (Index("ix_expense_tags_tag", "tag", "expense_id"),)

    expense_id: Mapped[int] = mapped_column(
        ForeignKey("expenses.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)


class IncomeTag(Base):
    __tablename__ = "income_tags"
    __table_args__ = (Index("ix_income_tags_tag", "tag", "income_id"),)

    income_id: Mapped[int] = mapped_column(
        ForeignKey("incomes.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
