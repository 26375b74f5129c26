from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, func, true
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, UTCDateTime, utcnow


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    # Stored lower-cased, so a plain unique key is case-insensitive.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The Telegram chat this account talks through, and since when (alerts made
    # before the link are not replayed into the chat).
    telegram_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    telegram_linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The linked person's @username as Telegram last showed it (`/settle @name 20`).
    telegram_username: Mapped[str | None] = mapped_column(String(64))
    weekly_summary: Mapped[bool] = mapped_column(default=True, server_default=true())
    monthly_summary: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Monthly budgets and safe-to-spend run from this day of the month (31: the last day).
    pay_day: Mapped[int] = mapped_column(default=1, server_default="1")


class AuthToken(Base):
    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The token expires FINBOT_TOKEN_TTL_DAYS after this (refreshed at most once a minute).
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PasswordReset(Base):
    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LoginFailure(Base):
    """One row per failed login, so the lockout holds across API processes.

    The throttles of core/auth/service.py (sign-ups and reset requests per address,
    reset mails per account) and the mark that an address logged into an account
    keep their rows here too, under keys of their own. A row counts while `at` is
    within the last 15 minutes (the lockout window), and the purge job deletes it
    after that: a failed login's `at` is when it happened, and a row meant to count
    longer (an hour, 30 days) is written with `at` moved that much later, less the
    15 minutes.
    """

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(254))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# Usernames keep the case people typed but are unique regardless of it.
Index("uq_users_username_lower", func.lower(User.username), unique=True)
Index("uq_users_telegram_chat_id", User.telegram_chat_id, unique=True)
