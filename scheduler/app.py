"""APScheduler: when each job runs, in `finbot scheduler` or inside `finbot serve`."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from core.config import Settings
from core.db import Database
from core.notifications.bus import NotificationBus
from core.notifications.service import connect_bus
from core.payments import make_gateway
from core.payments.gateway import PaymentGateway
from scheduler.jobs import run_job

# Summaries are due at 09:00 in each user's own timezone, so they are checked
# every hour; the unique keys make the extra checks free of repeats.
TRIGGERS = {
    "budget-sweep": IntervalTrigger(minutes=15),
    "goal-check": CronTrigger(minute=5),
    "weekly-summary": CronTrigger(minute=0),
    "monthly-summary": CronTrigger(minute=1),
    "reconcile-payments": IntervalTrigger(minutes=10),
}


def make_scheduler(database: Database, gateway: PaymentGateway | None) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(
        timezone="UTC",
        # A run missed while the process was down happens once on start, not once per slot.
        job_defaults={"coalesce": True, "misfire_grace_time": 3600, "max_instances": 1},
    )
    # Every job also runs once at start: it catches up on what a stop missed, and
    # its unique keys make the extra run harmless.
    start = datetime.now(UTC) + timedelta(seconds=5)
    for name, trigger in TRIGGERS.items():
        scheduler.add_job(
            run_job,
            trigger,
            args=[name, database, gateway],
            id=name,
            name=name,
            next_run_time=start,
        )
    return scheduler


@contextlib.asynccontextmanager
async def scheduler_running(database: Database, settings: Settings) -> AsyncIterator[None]:
    scheduler = make_scheduler(database, make_gateway(settings))
    scheduler.start()
    try:
        yield
    finally:
        scheduler.shutdown(wait=False)


async def run_forever(settings: Settings) -> None:
    """`finbot scheduler`: the jobs on their schedule until stopped."""
    database = Database(settings.database_url)
    bus = NotificationBus(settings.redis_url)
    connect_bus(database, bus)
    try:
        async with scheduler_running(database, settings):
            await asyncio.Event().wait()
    finally:
        await bus.stop()
        await database.dispose()


async def run_once(
    settings: Settings, names: list[str], now_iso: str | None
) -> dict[str, int | None]:
    now = datetime.fromisoformat(now_iso) if now_iso else datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    database = Database(settings.database_url)
    bus = NotificationBus(settings.redis_url)
    connect_bus(database, bus)
    gateway = make_gateway(settings)
    try:
        return {name: await run_job(name, database, gateway, now) for name in names}
    finally:
        await bus.stop()
        await database.dispose()
