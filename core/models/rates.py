from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Numeric, String, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

from core.models.base import Base


class ExactRate(TypeDecorator[Decimal]):
    """An ECB rate exactly as published: NUMERIC(18, 6), or its decimal text on SQLite.

    ECB rates have up to 6 decimals and 7 integer digits (TRL in 1999). SQLite's
    NUMERIC is a float, so there the text form keeps every digit; set-based
    conversion on SQLite goes through a Decimal function (core/currencies/repository.py).
    """

    impl = Numeric(18, 6)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(24))
        return dialect.type_descriptor(Numeric(18, 6, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        rate = Decimal(value)
        return str(rate) if dialect.name == "sqlite" else rate

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return _without_padding(Decimal(value))


def _without_padding(rate: Decimal) -> Decimal:
    # PostgreSQL pads to 6 places (1.117000); the published rate is 1.117.
    if rate == rate.to_integral_value():
        return rate.quantize(Decimal(1))
    return rate.normalize()


class Rate(Base):
    """Units of `currency` per one euro on `day` (ECB reference rate)."""

    __tablename__ = "rates"
    # Serves "the nearest earlier day": currency = ? AND day <= ? ORDER BY day DESC LIMIT 1.
    __table_args__ = (UniqueConstraint("currency", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    day: Mapped[date] = mapped_column(Date)
    rate: Mapped[Decimal] = mapped_column(ExactRate())
