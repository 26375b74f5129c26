"""Declarative base, naming convention and the column types every table shares."""

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar, cast

from sqlalchemy import BigInteger, DateTime, MetaData, Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm.instrumentation import manager_of_class
from sqlalchemy.types import TypeDecorator, TypeEngine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Money keeps 3 decimals: enough for every ISO 4217 currency (KWD, BHD have 3).
MONEY_SCALE = 3
MONEY_PRECISION = 15
THOUSANDTH = Decimal(1).scaleb(-MONEY_SCALE)


class Money(TypeDecorator[Decimal]):
    """Exact money: NUMERIC(15, 3) where the database has it, integer thousandths on SQLite.

    SQLite has no decimal type; its NUMERIC is a float, so SUM() would drift.
    Integer thousandths keep both storage and SQL aggregates exact there, and
    hold JPY (0 decimals), EUR (2) and KWD (3) alike.
    """

    impl = Numeric(MONEY_PRECISION, MONEY_SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(MONEY_PRECISION, MONEY_SCALE, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = Decimal(value).quantize(THOUSANDTH)
        if dialect.name == "sqlite":
            return int(amount.scaleb(MONEY_SCALE))
        return amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        # Not reached on SQLite: its result_processor below reads thousandths itself.
        if value is None:
            return None
        return Decimal(value).quantize(THOUSANDTH)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        # A page of expenses reads hundreds of amounts: on SQLite each is one call,
        # not the generic chain with a dialect test per value.
        if dialect.name == "sqlite":
            return _thousandths_or_none
        return super().result_processor(dialect, coltype)


def _from_thousandths(value: Any) -> Decimal:
    # An integer shifted by -3 has exactly three decimals: no quantize needed.
    return Decimal(int(value)).scaleb(-MONEY_SCALE)


def _thousandths_or_none(value: Any) -> Decimal | None:
    return None if value is None else _from_thousandths(value)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


ModelT = TypeVar("ModelT", bound=Base)


def as_loaded(model: type[ModelT], values: Iterable[tuple[str, Any]]) -> ModelT:
    """An instance of `model` holding column values the database gave, filled as a query
    fills one: straight into its state, without the constructor's attribute events
    (one per column, on the hot paths a twentieth of a request). Transient: to be read,
    or put in a session (auth.repository.attach_user)."""
    instance = manager_of_class(model).new_instance()  # the class's own, not inspect()'s lookup
    vars(instance).update(values)
    return cast(ModelT, instance)
