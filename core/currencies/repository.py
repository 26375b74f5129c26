"""Rates SQL: lookups, bulk loading, and the building blocks of set-based conversion.

Rates are stored per EUR; EUR itself has no rows (its rate is 1 every day).
"Nearest earlier day" is one index probe on uq_rates_currency_day:
currency = ? AND day <= ? ORDER BY day DESC LIMIT 1.
"""

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Date,
    Numeric,
    ScalarSelect,
    String,
    Subquery,
    Table,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core.currencies.codes import CURRENCY_EXPONENTS
from core.currencies.ecb import DailyRate
from core.models.base import THOUSANDTH
from core.models.rates import ExactRate, Rate
from core.money import MONEY_LIMIT

EURO = "EUR"
# Rows per executemany: bounds the memory of one batch of parameters.
_INSERT_CHUNK = 20_000
_SQLITE_CONVERT = "finbot_convert_amount"

rates_table: Table = Rate.__table__  # type: ignore[assignment]


async def has_any_rate(session: AsyncSession) -> bool:
    return bool(await session.scalar(select(exists().where(rates_table.c.id.is_not(None)))))


async def stored_days(session: AsyncSession, first: date, last: date) -> set[date]:
    query = select(rates_table.c.day).where(rates_table.c.day.between(first, last)).distinct()
    return set((await session.scalars(query)).all())


async def add_rates(session: AsyncSession, rates: Sequence[DailyRate]) -> None:
    """Bulk insert; a (currency, day) already stored (a concurrent loader) is skipped."""
    postgres = session.get_bind().dialect.name == "postgresql"
    for start in range(0, len(rates), _INSERT_CHUNK):
        chunk = rates[start : start + _INSERT_CHUNK]
        if postgres:
            # Three arrays in one statement: ~10x faster than executemany on asyncpg.
            await session.execute(
                _POSTGRES_BULK_INSERT,
                {
                    "currencies": [r.currency for r in chunk],
                    "days": [r.day for r in chunk],
                    "rates": [r.rate for r in chunk],
                },
            )
        else:
            # executemany of one prepared statement: sqlite3's fast path.
            rows = [{"currency": r.currency, "day": r.day, "rate": r.rate} for r in chunk]
            await session.execute(_SQLITE_INSERT, rows)


_SQLITE_INSERT = sqlite.insert(rates_table).on_conflict_do_nothing(
    index_elements=["currency", "day"]
)
_POSTGRES_BULK_INSERT = text(
    "INSERT INTO rates (currency, day, rate)"
    " SELECT * FROM unnest(:currencies, :days, :rates)"
    " ON CONFLICT (currency, day) DO NOTHING"
).bindparams(
    bindparam("currencies", type_=postgresql.ARRAY(String)),
    bindparam("days", type_=postgresql.ARRAY(Date)),
    bindparam("rates", type_=postgresql.ARRAY(Numeric(18, 6))),
)


async def nearest_rate(
    session: AsyncSession, currency: str, on: date
) -> tuple[Decimal, date] | None:
    """`currency` per EUR on `on` or the nearest earlier day that has a rate."""
    if currency == EURO:
        return Decimal(1), on
    query = (
        select(rates_table.c.rate, rates_table.c.day)
        .where(rates_table.c.currency == currency, rates_table.c.day <= on)
        .order_by(rates_table.c.day.desc())
        .limit(1)
    )
    row = (await session.execute(query)).first()
    return None if row is None else (row.rate, row.day)


def rate_subquery(currency: Any, day: Any) -> ScalarSelect[Decimal]:
    """Correlated: the rate per EUR of `currency` on the nearest day <= `day`, or NULL.

    `currency` and `day` are columns of an outer statement (or literals). EUR has
    no rows: wrap with `rate_per_euro` where EUR can occur.
    """
    return (
        select(rates_table.c.rate)
        .where(rates_table.c.currency == currency, rates_table.c.day <= day)
        .order_by(rates_table.c.day.desc())
        .limit(1)
        .scalar_subquery()
    )


def rate_day_subquery(currency: Any, day: Any) -> ScalarSelect[date]:
    """Correlated: the day whose rate `rate_subquery` picks, or NULL."""
    return (
        select(func.max(rates_table.c.day))
        .where(rates_table.c.currency == currency, rates_table.c.day <= day)
        .scalar_subquery()
    )


def rate_per_euro(currency: Any, day: Any) -> ColumnElement[Decimal]:
    one = literal(Decimal(1), ExactRate())
    return case((currency == EURO, one), else_=rate_subquery(currency, day))


def rate_day(currency: Any, day: Any) -> ColumnElement[date]:
    return case((currency == EURO, day), else_=rate_day_subquery(currency, day))


def _earlier(
    dialect: str, first: ColumnElement[date], second: ColumnElement[date]
) -> ColumnElement[date]:
    # Scalar min()/least() name each subquery once (a CASE would repeat both).
    least = func.min if dialect == "sqlite" else func.least
    return least(first, second)


async def convert_column(
    session: AsyncSession,
    table: Table,
    *,
    amount: Column[Any],
    currency: Column[Any],
    day: Column[Any],
    base: Column[Any],
    rate_date: Column[Any],
    base_currency: str,
    where: ColumnElement[bool] | None = None,
) -> int:
    """One UPDATE: base := amount (in `currency`) at `day`'s rate, in `base_currency`.

    Cross rates go through EUR; the nearest earlier day with a rate is used and the
    older of the two days used lands in `rate_date` (the entry's own day when no
    conversion is needed). Rounded half up to the base currency's minor units,
    as PostgreSQL's round() does, so the SQL and Python paths agree to the unit.
    Returns the number of rows updated; callers check `currency_without_rate` first.
    """
    exponent = CURRENCY_EXPONENTS[base_currency]
    conversions = _conversions_in(session, currency, day, base_currency, where)
    from_rate, to_rate = conversions.c.from_rate, conversions.c.to_rate
    if session.get_bind().dialect.name == "sqlite":
        await _register_sqlite_conversion(session, amount, base, exponent)
        converted: ColumnElement[Any] = func.finbot_convert_amount(amount, from_rate, to_rate)
    else:
        exact = Numeric(38, 12)
        converted = func.round(
            amount.cast(exact) * to_rate.cast(exact) / from_rate.cast(exact), exponent
        )
    # UPDATE ... FROM: rows meet their (currency, day) pair's rates by a join.
    statement = (
        update(table)
        .values({base: converted, rate_date: conversions.c.used_day})
        .where(currency == conversions.c.currency, day == conversions.c.day)
    )
    if where is not None:
        statement = statement.where(where)
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0))


async def converted(
    session: AsyncSession,
    *,
    amount: Any,
    currency: Any,
    day: Any,
    to_currency: str,
    where: ColumnElement[bool] | None = None,
) -> tuple[Subquery, ColumnElement[Any]]:
    """For SELECTs that convert rows as they read them (a household's shared entries in
    its currency): the rates table of `conversion_table`, to be joined on
    (currency, day), and each row's amount in `to_currency` at its day's rate, rounded
    to that currency's units exactly as `convert_column` does; typed like `amount`,
    so sums of it read back as money. NULL where a rate is missing."""
    dialect = session.get_bind().dialect.name
    exponent = CURRENCY_EXPONENTS[to_currency]
    conversions = conversion_table(
        dialect, currency=currency, day=day, base_currency=to_currency, where=where
    )
    from_rate, to_rate = conversions.c.from_rate, conversions.c.to_rate
    if dialect == "sqlite":
        await _register_sqlite_conversion(session, amount, amount, exponent)
        value: ColumnElement[Any] = func.finbot_convert_amount(amount, from_rate, to_rate)
    else:
        exact = Numeric(38, 12)
        value = func.round(
            amount.cast(exact) * to_rate.cast(exact) / from_rate.cast(exact), exponent
        )
    return conversions, type_coerce(value, amount.type)


def _conversions_in(
    session: AsyncSession,
    currency: Column[Any],
    day: Column[Any],
    base_currency: str,
    where: ColumnElement[bool] | None,
) -> Subquery:
    """`conversion_table` for the session's database."""
    return conversion_table(
        session.get_bind().dialect.name,
        currency=currency,
        day=day,
        base_currency=base_currency,
        where=where,
    )


def conversion_table(
    dialect: str,
    *,
    currency: Column[Any],
    day: Column[Any],
    base_currency: str,
    where: ColumnElement[bool] | None = None,
) -> Subquery:
    """(currency, day, from_rate, to_rate, used_day) for each distinct pair in a table.

    Rates are looked up once per distinct (currency, day), not once per row: a
    user's 100,000 entries fall on far fewer days. from_rate and to_rate are per
    EUR (1 for EUR, and both 1 when the currency is the base); NULL where no rate.
    """
    pairs_query = select(currency.label("currency"), day.label("day")).distinct()
    if where is not None:
        pairs_query = pairs_query.where(where)
    pairs = pairs_query.subquery("pairs")
    pair_currency, pair_day = pairs.c.currency, pairs.c.day
    one = literal(Decimal(1), ExactRate())
    same = pair_currency == base_currency
    used_day = case(
        (same, pair_day),
        else_=_earlier(
            dialect,
            rate_day(pair_currency, pair_day),
            rate_day(literal(base_currency), pair_day),
        ),
    )
    return select(
        pair_currency,
        pair_day,
        case((same, one), else_=rate_per_euro(pair_currency, pair_day)).label("from_rate"),
        case((same, one), else_=rate_per_euro(literal(base_currency), pair_day)).label("to_rate"),
        used_day.label("used_day"),
    ).subquery("conversions")


async def currency_without_rate(
    session: AsyncSession,
    *,
    currency: Column[Any],
    day: Column[Any],
    base_currency: str,
    where: ColumnElement[bool] | None = None,
) -> str | None:
    """A currency in `table` that has no rate on or before its row's day, if any."""
    conversions = _conversions_in(session, currency, day, base_currency, where)
    missing = or_(conversions.c.from_rate.is_(None), conversions.c.to_rate.is_(None))
    return await session.scalar(select(conversions.c.currency).where(missing).limit(1))


async def ids_too_large(
    session: AsyncSession,
    table: Table,
    *,
    amount: Column[Any],
    currency: Column[Any],
    day: Column[Any],
    base_currency: str,
    where: ColumnElement[bool] | None = None,
    limit: int | None = None,
) -> list[int]:
    """The ids of the rows under `where` whose `amount` in `base_currency`, rounded as
    `convert_column` rounds it, would not fit the column: asked before that UPDATE,
    which would fail on them. Rows without a rate are left to `currency_without_rate`."""
    conversions, value = await converted(
        session, amount=amount, currency=currency, day=day, to_currency=base_currency, where=where
    )
    # The largest amount that fits, in the column's own type (the limit itself does not).
    largest = literal(MONEY_LIMIT - THOUSANDTH, amount.type)
    query = (
        select(table.c.id)
        .join(conversions, and_(conversions.c.currency == currency, conversions.c.day == day))
        .where(value > largest)  # amounts are positive
        .limit(limit)
    )
    if where is not None:
        query = query.where(where)
    return list((await session.execute(query)).scalars())


async def _register_sqlite_conversion(
    session: AsyncSession, amount: Column[Any], base: Column[Any], exponent: int
) -> None:
    """SQLite has no exact decimal arithmetic: convert in Decimal, row by row, inside SQL.

    The columns' own types decode and encode the stored values, whatever their
    storage (integer minor units, text...). Registered on this connection only.
    """
    connection = await session.connection()
    dialect = connection.dialect
    decode = amount.type.result_processor(dialect, None)
    encode = base.type.bind_processor(dialect)
    unit = Decimal(1).scaleb(-exponent)

    def convert(raw_amount: Any, raw_from: Any, raw_to: Any) -> Any:
        if raw_amount is None or raw_from is None or raw_to is None:
            return None
        value: Any = decode(raw_amount) if decode else raw_amount
        # Rates are decimal text on SQLite (ExactRate).
        result = convert_amount(Decimal(value), Decimal(str(raw_from)), Decimal(str(raw_to)), unit)
        return encode(result) if encode else result

    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.create_function(_SQLITE_CONVERT, 3, convert, deterministic=True)


def convert_amount(amount: Decimal, from_rate: Decimal, to_rate: Decimal, unit: Decimal) -> Decimal:
    """amount * to / from, rounded half up to `unit` (the same order as the SQL)."""
    with localcontext() as context:
        context.prec = 40
        return (amount * to_rate / from_rate).quantize(unit, rounding=ROUND_HALF_UP)
