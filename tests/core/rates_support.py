"""Shared by the rates tests: a clean database and a few known ECB days."""

from datetime import date
from decimal import Decimal

from sqlalchemy import delete

from core.currencies import repository as rates
from core.currencies.ecb import DailyRate
from core.db import Database
from core.models import Rate

FRIDAY = date(2024, 3, 8)
THURSDAY = date(2024, 3, 7)
SUNDAY = date(2024, 3, 10)

# Units per EUR. KWD is not an ECB currency: a feed of one's own can carry it.
KNOWN = {
    THURSDAY: {"USD": "1.0895", "GBP": "0.85445", "JPY": "160.48", "KWD": "0.3351"},
    FRIDAY: {"USD": "1.0939", "GBP": "0.85178", "JPY": "161.06", "KWD": "0.3365"},
}


def known_rates() -> list[DailyRate]:
    return [
        DailyRate(currency, day, Decimal(value))
        for day, by_currency in KNOWN.items()
        for currency, value in by_currency.items()
    ]


async def seed_known_rates(database: Database) -> None:
    """The known days replace whatever the kept rates table has for them (the
    shipped history, loaded by an earlier test, differs from them)."""
    await set_rates(database, known_rates())


async def set_rates(database: Database, replacing: list[DailyRate]) -> None:
    async with database.session() as session:
        for daily in replacing:
            await session.execute(
                delete(Rate).where(Rate.currency == daily.currency, Rate.day == daily.day)
            )
        await rates.add_rates(session, replacing)
