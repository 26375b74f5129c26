"""The scheduler's jobs, by name, with when each runs: one table (JOBS).

Each job opens its own transaction and calls the domain that owns the rule;
`finbot scheduler run-once NAME` runs one by name."""

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from core.budgets import alerts as budget_alerts
from core.config import get_settings
from core.currencies import service as currencies
from core.db import Database
from core.goals import reminders as goal_reminders
from core.jobs import purge as purging
from core.metrics import JOB_FAILURES, JOB_RUNS
from core.models.base import utcnow
from core.payments.gateway import PaymentGateway
from core.payments.service import reconcile
from core.recurring import service as recurring
from core.reports import summaries

log = logging.getLogger("finbot.scheduler")

JobRun = Callable[[Database, PaymentGateway | None, datetime], Awaitable[int]]


@dataclass(frozen=True)
class Job:
    run: JobRun
    trigger: BaseTrigger


async def budget_sweep(database: Database, _: PaymentGateway | None, now: datetime) -> int:
    async with database.session() as session:
        return await budget_alerts.sweep(session, now)


async def goal_check(database: Database, _: PaymentGateway | None, now: datetime) -> int:
    async with database.session() as session:
        return await goal_reminders.remind(session, now)


async def weekly_summary(database: Database, _: PaymentGateway | None, now: datetime) -> int:
    async with database.session() as session:
        return await summaries.send_due(session, now, "weekly")


async def monthly_summary(database: Database, _: PaymentGateway | None, now: datetime) -> int:
    async with database.session() as session:
        return await summaries.send_due(session, now, "monthly")


async def reconcile_payments(
    database: Database, gateway: PaymentGateway | None, now: datetime
) -> int:
    if gateway is None:
        return 0
    # Reconciling talks to the provider between transactions, so it opens its own.
    return await reconcile(database, gateway, now)


async def post_recurring(database: Database, _: PaymentGateway | None, now: datetime) -> int:
    # Batches of entries, each its own transaction (see core/recurring/service.py).
    return await recurring.post_due(database, now)


async def purge(database: Database, _: PaymentGateway | None, now: datetime) -> int:
    async with database.session() as session:
        return await purging.purge_expired(session, now)


async def update_rates(database: Database, _: PaymentGateway | None, now: datetime) -> int:
    async with database.session() as session:
        return await currencies.update_rates(session, get_settings())


# Summaries are due at 09:00 in each user's own timezone, so they are checked
# every hour; the unique keys make the extra checks free of repeats.
JOBS: dict[str, Job] = {
    "budget-sweep": Job(budget_sweep, IntervalTrigger(minutes=15)),
    "goal-check": Job(goal_check, CronTrigger(minute=5)),
    "weekly-summary": Job(weekly_summary, CronTrigger(minute=0)),
    "monthly-summary": Job(monthly_summary, CronTrigger(minute=1)),
    "reconcile-payments": Job(reconcile_payments, IntervalTrigger(minutes=10)),
    "purge": Job(purge, CronTrigger(minute=30)),
    # Hourly: each user's day starts at their own midnight; wake_on makes idle runs cheap.
    "post-recurring": Job(post_recurring, CronTrigger(minute=2)),
    # The ECB publishes around 16:00 CET on working days.
    "update-rates": Job(update_rates, CronTrigger(hour=16, minute=30, timezone="Europe/Berlin")),
}


async def run_job(
    name: str, database: Database, gateway: PaymentGateway | None, now: datetime | None = None
) -> int | None:
    """Run one job; a failure is logged and reported as None, never raised."""
    began = time.perf_counter()
    JOB_RUNS.labels(name).inc()
    try:
        made = await JOBS[name].run(database, gateway, now or utcnow())
    except Exception:  # one job's failure must not stop the others or the process
        JOB_FAILURES.labels(name).inc()
        log.exception("job %s failed", name)
        return None
    log.info("job %s made %d in %.2fs", name, made, time.perf_counter() - began)
    return made
