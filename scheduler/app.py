"""APScheduler: each job of scheduler/jobs.py on its trigger, wherever finbot/ hosts it."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core.db import Database
from core.payments.gateway import PaymentGateway
from scheduler.jobs import JOBS, run_job


def make_scheduler(database: Database, gateway: PaymentGateway | None) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(
        timezone="UTC",
        # A run missed while the process was down happens once on start, not once per slot.
        job_defaults={"coalesce": True, "misfire_grace_time": 3600, "max_instances": 1},
    )
    # Every job also runs once at start: it catches up on what a stop missed, and
    # its unique keys make the extra run harmless.
    start = datetime.now(UTC) + timedelta(seconds=5)
    for name, job in JOBS.items():
        scheduler.add_job(
            run_job,
            job.trigger,
            args=[name, database, gateway],
            id=name,
            name=name,
            next_run_time=start,
        )
    return scheduler


@contextlib.asynccontextmanager
async def scheduler_running(
    database: Database, gateway: PaymentGateway | None
) -> AsyncIterator[None]:
    scheduler = make_scheduler(database, gateway)
    scheduler.start()
    try:
        yield
    finally:
        scheduler.shutdown(wait=False)


async def run_forever(database: Database, gateway: PaymentGateway | None) -> None:
    """`finbot scheduler`: the jobs on their schedule until stopped."""
    async with scheduler_running(database, gateway):
        await asyncio.Event().wait()


def parse_now(now_iso: str | None) -> datetime:
    now = datetime.fromisoformat(now_iso) if now_iso else datetime.now(UTC)
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


async def run_once(
    database: Database, gateway: PaymentGateway | None, names: list[str], now_iso: str | None
) -> dict[str, int | None]:
    now = parse_now(now_iso)
    return {name: await run_job(name, database, gateway, now) for name in names}
