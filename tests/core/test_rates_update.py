"""update-rates: FINBOT_RATES_URL in each ECB format, from a local HTTP server; new days only."""

import io
import zipfile
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import pytest
from aiohttp import web
from sqlalchemy import func, select

from core.config import Settings
from core.currencies import service as currencies
from core.db import Database
from core.exceptions import BadGateway
from core.models import Rate
from tests.conftest import clean_database
from tests.core.rates_support import FRIDAY, seed_known_rates

MONDAY = date(2026, 11, 2)
TUESDAY = date(2026, 11, 3)

DAILY_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
    xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
  <gesmes:subject>Reference rates</gesmes:subject>
  <gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
  <Cube>
    <Cube time="2026-11-02">
      <Cube currency="USD" rate="1.1201"/>
      <Cube currency="JPY" rate="176.12"/>
      <Cube currency="GBP" rate="0.83412"/>
    </Cube>
  </Cube>
</gesmes:Envelope>
"""

HISTORY_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
    xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
  <gesmes:subject>Reference rates</gesmes:subject>
  <Cube>
    <Cube time="2026-11-03">
      <Cube currency="USD" rate="1.1188"/><Cube currency="JPY" rate="175.5"/>
    </Cube>
    <Cube time="2026-11-02">
      <Cube currency="USD" rate="1.1201"/><Cube currency="JPY" rate="176.12"/>
    </Cube>
    <Cube time="2024-03-08">
      <Cube currency="USD" rate="9.9999"/><Cube currency="JPY" rate="999.99"/>
    </Cube>
  </Cube>
</gesmes:Envelope>
"""

HISTORY_CSV = (
    "Date,USD,JPY,CYP,GBP,\n"
    "2026-11-03,1.1188,175.5,N/A,0.83301,\n"
    "2026-11-02,1.1201,176.12,N/A,0.83412,\n"
    "2024-03-08,9.9999,999.99,N/A,9.99999,\n"
)


def zipped(name: str, text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, text)
    return buffer.getvalue()


FEEDS = {
    "/eurofxref-daily.xml": DAILY_XML,
    "/eurofxref-hist.xml": HISTORY_XML,
    "/eurofxref-hist.csv": HISTORY_CSV.encode(),
    "/eurofxref-hist.zip": zipped("eurofxref-hist.csv", HISTORY_CSV),
    "/not-ecb.html": b"<html><body>maintenance</body></html>",
}


@pytest.fixture
async def feed_server() -> AsyncIterator[str]:
    """A local HTTP server with the ECB files above (no network in tests)."""
    served: list[str] = []

    async def serve(request: web.Request) -> web.Response:
        served.append(request.path)
        if request.path not in FEEDS:
            return web.Response(status=404)
        return web.Response(body=FEEDS[request.path])

    app = web.Application()
    app.router.add_get("/{name}", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await clean_database(database)
    # Some rates already: the shipped history is not loaded (tested in test_rates.py).
    await seed_known_rates(database)
    yield database
    await database.dispose()


def with_feed(settings: Settings, url: str) -> Settings:
    return settings.model_copy(update={"rates_url": url})


async def update(database: Database, settings: Settings) -> int:
    async with database.session() as session:
        return await currencies.update_rates(session, settings)


async def stored(database: Database) -> dict[tuple[str, date], Decimal]:
    async with database.session() as session:
        return {(r.currency, r.day): r.rate for r in await session.scalars(select(Rate))}


async def count(database: Database) -> int:
    async with database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Rate)) or 0)


async def test_daily_xml_run_twice_is_stored_once(database, settings, feed_server):
    settings = with_feed(settings, f"{feed_server}/eurofxref-daily.xml")
    before = await count(database)
    assert await update(database, settings) == 1
    assert await count(database) == before + 3
    assert await update(database, settings) == 0
    assert await count(database) == before + 3
    rates = await stored(database)
    assert rates[("GBP", MONDAY)] == Decimal("0.83412")
    assert str(rates[("JPY", MONDAY)]) == "176.12"


@pytest.mark.parametrize(
    "path", ["/eurofxref-hist.xml", "/eurofxref-hist.csv", "/eurofxref-hist.zip"]
)
async def test_history_formats_store_new_days_only(database, settings, feed_server, path):
    settings = with_feed(settings, feed_server + path)
    before = await count(database)
    assert await update(database, settings) == 2  # 2 and 3 November; 8 March is stored
    after_first = await count(database)
    assert after_first > before
    assert await update(database, settings) == 0
    assert await count(database) == after_first
    rates = await stored(database)
    assert rates[("USD", TUESDAY)] == Decimal("1.1188")
    assert rates[("USD", MONDAY)] == Decimal("1.1201")
    # A day already stored keeps its rates: the feed's 9.9999 is not taken.
    assert rates[("USD", FRIDAY)] == Decimal("1.0939")
    # The new days convert like any other: Wednesday uses Tuesday's rate.
    async with database.session() as session:
        shown = await currencies.rate(session, "EUR", "USD", date(2026, 11, 4))
    assert (shown.rate, shown.rate_date) == (Decimal("1.1188"), TUESDAY)


async def test_an_unset_feed_stores_nothing(database, settings):
    before = await count(database)
    assert await update(database, settings.model_copy(update={"rates_url": None})) == 0
    assert await count(database) == before


@pytest.mark.parametrize("path", ["/not-ecb.html", "/missing.xml"])
async def test_a_feed_that_is_not_ecb_rates_is_a_bad_gateway(database, settings, feed_server, path):
    before = await count(database)
    with pytest.raises(BadGateway):
        await update(database, with_feed(settings, feed_server + path))
    assert await count(database) == before
