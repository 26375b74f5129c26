"""The set-based re-expression: one UPDATE converts a table's amounts at each row's date."""

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    select,
)

from core.currencies import repository as rates
from core.currencies import service as currencies
from core.db import Database
from core.models.base import Money
from tests.conftest import clean_database
from tests.core.rates_support import FRIDAY, SUNDAY, THURSDAY, seed_known_rates

metadata = MetaData()
entries = Table(
    "rates_test_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner", Integer, nullable=False),
    Column("amount", Money(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("day", Date, nullable=False),
    Column("base_amount", Money()),
    Column("rate_date", Date),
)

ROWS = [
    # (id, owner, amount, currency, day)
    (1, 1, "100.00", "USD", FRIDAY),
    (2, 1, "100.00", "USD", SUNDAY),  # weekend: Friday's rate
    (3, 1, "100.00", "USD", THURSDAY),
    (4, 1, "1500", "JPY", FRIDAY),
    (5, 1, "1.234", "KWD", FRIDAY),
    (6, 1, "19.99", "EUR", SUNDAY),
    (7, 1, "42.10", "GBP", FRIDAY),
    (8, 2, "100.00", "USD", FRIDAY),  # someone else's: left alone
]


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await clean_database(database)
    await seed_known_rates(database)
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)
        await conn.execute(
            insert(entries),
            [
                {"id": i, "owner": o, "amount": Decimal(a), "currency": c, "day": d}
                for i, o, a, c, d in ROWS
            ],
        )
    yield database
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
    await database.dispose()


async def rebase(database: Database, base_currency: str) -> int:
    async with database.session() as session:
        return await rates.convert_column(
            session,
            entries,
            amount=entries.c.amount,
            currency=entries.c.currency,
            day=entries.c.day,
            base=entries.c.base_amount,
            rate_date=entries.c.rate_date,
            base_currency=base_currency,
            where=entries.c.owner == 1,
        )


async def stored(database: Database) -> dict[int, tuple[str | None, date | None]]:
    async with database.session() as session:
        rows = await session.execute(
            select(entries.c.id, entries.c.base_amount, entries.c.rate_date)
        )
        return {
            row.id: (None if row.base_amount is None else str(row.base_amount), row.rate_date)
            for row in rows
        }


async def test_one_update_reexpresses_every_row_at_its_own_dates_rate_in_eur(database):
    assert await rebase(database, "EUR") == 7
    assert await stored(database) == {
        1: ("91.420", FRIDAY),  # 100 / 1.0939 = 91.4160 -> 91.42
        2: ("91.420", FRIDAY),
        3: ("91.790", THURSDAY),  # 100 / 1.0895 = 91.7852 -> 91.79
        4: ("9.310", FRIDAY),  # 1500 / 161.06 = 9.3133 -> 9.31
        5: ("3.670", FRIDAY),  # 1.234 / 0.3365 = 3.6671 -> 3.67
        6: ("19.990", SUNDAY),
        7: ("49.430", FRIDAY),  # 42.10 / 0.85178 = 49.4259 -> 49.43
        8: (None, None),
    }


async def test_the_sql_agrees_with_the_python_conversion_to_the_unit(database):
    for base_currency in ("EUR", "JPY", "KWD", "GBP"):
        await rebase(database, base_currency)
        after = await stored(database)
        for row_id, _owner, amount, currency, day in ROWS[:-1]:
            async with database.session() as session:
                expected = await currencies.convert(
                    session, Decimal(amount), currency, base_currency, day
                )
            assert after[row_id] == (
                str(expected.amount.quantize(Decimal("0.001"))),
                expected.rate_date,
            ), (
                base_currency,
                row_id,
            )


async def test_kwd_base_keeps_three_decimals_and_jpy_none(database):
    await rebase(database, "KWD")
    # 100 USD x 0.3365 / 1.0939 = 30.76149... -> 30.761 KWD; 19.99 EUR x 0.3365 = 6.726635 -> 6.727.
    assert (await stored(database))[1] == ("30.761", FRIDAY)
    assert (await stored(database))[6] == ("6.727", FRIDAY)  # KWD: Friday's rate
    await rebase(database, "JPY")
    # 1500 JPY stays 1500; 100 USD x 161.06 / 1.0939 = 14723.46 -> 14723.
    assert (await stored(database))[4] == ("1500.000", FRIDAY)
    assert (await stored(database))[1] == ("14723.000", FRIDAY)


async def test_a_row_in_a_currency_without_a_rate_is_found_before_the_update(database):
    async with database.session() as session:
        assert (
            await rates.currency_without_rate(
                session,
                currency=entries.c.currency,
                day=entries.c.day,
                base_currency="EUR",
                where=entries.c.owner == 1,
            )
            is None
        )
        await session.execute(
            insert(entries).values(id=9, owner=1, amount=Decimal(5), currency="CHF", day=FRIDAY)
        )
        missing = await rates.currency_without_rate(
            session,
            currency=entries.c.currency,
            day=entries.c.day,
            base_currency="EUR",
            where=entries.c.owner == 1,
        )
    assert missing == "CHF"
