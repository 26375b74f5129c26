"""Conversion: exact in each currency's minor units, nearest earlier day, EUR cross rates."""

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.currencies import ecb
from core.currencies import service as currencies
from core.db import Database
from core.exceptions import Invalid
from core.models import Rate
from tests.conftest import clean_database
from tests.core.rates_support import FRIDAY, SUNDAY, THURSDAY, seed_known_rates


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await clean_database(database)
    yield database
    await database.dispose()


@pytest.fixture
async def known(database: Database) -> Database:
    await seed_known_rates(database)
    return database


async def convert(database: Database, amount: str, source: str, target: str, on: date):
    async with database.session() as session:
        return await currencies.convert(session, Decimal(amount), source, target, on)


async def test_rates_are_stored_and_read_back_exactly(known: Database):
    async with known.session() as session:
        stored = {
            (row.currency, row.day): row.rate for row in (await session.scalars(select(Rate)))
        }
    assert stored[("GBP", FRIDAY)] == Decimal("0.85178")
    assert str(stored[("JPY", FRIDAY)]) == "161.06"
    assert str(stored[("KWD", THURSDAY)]) == "0.3351"


async def test_jpy_has_no_decimals_and_rounds_half_up(known: Database):
    # 10.00 EUR x 161.06 = 1610.6 JPY -> 1611 (no minor unit in yen).
    result = await convert(known, "10.00", "EUR", "JPY", FRIDAY)
    assert (result.amount, str(result.amount), result.rate_date) == (1611, "1611", FRIDAY)
    # 5 EUR x 161.06 = 805.3 -> 805; 0.05 EUR x 161.06 = 8.053 -> 8.
    assert str((await convert(known, "5", "EUR", "JPY", FRIDAY)).amount) == "805"
    # 1500 JPY / 161.06 = 9.31330... EUR -> 9.31.
    assert str((await convert(known, "1500", "JPY", "EUR", FRIDAY)).amount) == "9.31"


async def test_kwd_keeps_three_decimals(known: Database):
    # 10.00 EUR x 0.3365 = 3.365 KWD exactly: no float would keep that.
    assert str((await convert(known, "10.00", "EUR", "KWD", FRIDAY)).amount) == "3.365"
    # 1.234 KWD / 0.3365 = 3.66716... EUR -> 3.67.
    assert str((await convert(known, "1.234", "KWD", "EUR", FRIDAY)).amount) == "3.67"
    # 0.1 + 0.2 in EUR -> KWD: 0.30 x 0.3365 = 0.10095 -> 0.101 (half up).
    assert str((await convert(known, "0.30", "EUR", "KWD", FRIDAY)).amount) == "0.101"


async def test_eur_to_eur_is_the_amount_itself(known: Database):
    result = await convert(known, "19.99", "EUR", "EUR", SUNDAY)
    assert (str(result.amount), result.rate_date) == ("19.99", SUNDAY)


async def test_a_weekend_date_uses_fridays_rate_and_says_so(known: Database):
    result = await convert(known, "100.00", "USD", "EUR", SUNDAY)
    assert result.rate_date == FRIDAY
    # 100 / 1.0939 = 91.4160... (Friday), not 100 / 1.0895 = 91.78 (Thursday).
    assert str(result.amount) == "91.42"
    async with known.session() as session:
        shown = await currencies.rate(session, "EUR", "USD", SUNDAY)
    assert (shown.rate, shown.rate_date, shown.date) == (Decimal("1.0939"), FRIDAY, SUNDAY)


async def test_usd_to_gbp_goes_through_the_eur_triangle(known: Database):
    async with known.session() as session:
        usd_gbp = await currencies.rate(session, "USD", "GBP", FRIDAY)
        eur_usd = await currencies.rate(session, "EUR", "USD", FRIDAY)
        eur_gbp = await currencies.rate(session, "EUR", "GBP", FRIDAY)
    assert usd_gbp.rate == Decimal("0.778663497577")  # 0.85178 / 1.0939, 12 digits
    assert abs(usd_gbp.rate - eur_gbp.rate / eur_usd.rate) < Decimal("1e-11")
    # 250 USD -> EUR -> GBP in one exact step: 250 x 0.85178 / 1.0939 = 194.6659 -> 194.67.
    result = await convert(known, "250.00", "USD", "GBP", FRIDAY)
    assert (str(result.amount), result.rate_date) == ("194.67", FRIDAY)


async def test_a_currency_without_any_rate_is_invalid_naming_currency(known: Database):
    with pytest.raises(Invalid) as unknown:
        await convert(known, "1", "XAU", "EUR", FRIDAY)
    assert unknown.value.field == "currency"
    # USD exists, but not on or before this day.
    with pytest.raises(Invalid) as too_early:
        await convert(known, "1", "USD", "EUR", date(2024, 3, 6))
    assert too_early.value.field == "currency"
    assert "USD" in too_early.value.message


async def test_zero_config_loads_the_shipped_ecb_history_at_first_use(database: Database):
    shipped = ecb.shipped_history()
    # Saturday 31 October 2026 -> Friday the 30th, the last day the package ships.
    async with database.session() as session:
        shown = await currencies.rate(session, "EUR", "USD", date(2026, 10, 31))
    assert (shown.rate, shown.rate_date) == (Decimal("1.1172"), date(2026, 10, 30))
    async with database.session() as session:
        count = await session.scalar(select(func.count()).select_from(Rate))
        first_day = await session.scalar(select(func.min(Rate.day)))
        loaded_again = await currencies.ensure_rates_loaded(session)
    assert count == len(shipped) > 200_000
    assert first_day == date(1999, 1, 4)
    assert loaded_again == 0
