"""The scheduler's `update-rates`, run by `finbot scheduler run-once` against a local
ECB feed: new days are stored, a second run stores nothing again."""

import asyncio
import subprocess
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import pytest
from aiohttp import web
from sqlalchemy import delete, select

from core.db import Database
from core.models import Rate
from scheduler.jobs import JOBS
from tests.support.process import clean_environment, finbot_command

FEED_DAY = date(2032, 1, 5)
DAILY_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
    xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
  <gesmes:subject>Reference rates</gesmes:subject>
  <gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
  <Cube>
    <Cube time="2032-01-05">
      <Cube currency="USD" rate="1.2345"/>
      <Cube currency="JPY" rate="180.5"/>
    </Cube>
  </Cube>
</gesmes:Envelope>
"""


@pytest.fixture
async def feed_url() -> AsyncIterator[str]:
    """The ECB daily file from a local HTTP server: no network in tests."""

    async def serve(request: web.Request) -> web.Response:
        return web.Response(body=DAILY_XML, content_type="text/xml")

    app = web.Application()
    app.router.add_get("/eurofxref-daily.xml", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/eurofxref-daily.xml"
    finally:
        await runner.cleanup()


def test_update_rates_is_a_daily_job() -> None:
    assert "update-rates" in JOBS


async def test_run_once_update_rates_twice_stores_the_day_once(empty_database, feed_url):
    env = clean_environment(FINBOT_DATABASE_URL=empty_database, FINBOT_RATES_URL=feed_url)
    command = [*finbot_command(), "scheduler", "run-once", "update-rates"]

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=300, check=False
        )

    database = Database(empty_database)
    async with database.session() as session:  # the rates table is kept between tests
        await session.execute(delete(Rate).where(Rate.day == FEED_DAY))
    first = await asyncio.to_thread(run)
    assert first.returncode == 0, first.stderr
    assert "update-rates: 1 made" in first.stdout
    second = await asyncio.to_thread(run)
    assert second.returncode == 0, second.stderr
    assert "update-rates: 0 made" in second.stdout
    try:
        async with database.session() as session:
            stored = (
                await session.execute(select(Rate.currency, Rate.rate).where(Rate.day == FEED_DAY))
            ).all()
    finally:
        await database.dispose()
    assert sorted(stored) == [("JPY", Decimal("180.5")), ("USD", Decimal("1.2345"))]
