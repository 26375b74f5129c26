"""The scheduler's jobs, by name: what `finbot scheduler run-once NAME` runs."""

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

from core.db import Database
from core.jobs import service as jobs
from core.metrics import JOB_FAILURES, JOB_RUNS
from core.models.base import utcnow
from core.payments.gateway import PaymentGateway

log = logging.getLogger("finbot.scheduler")

Job = Callable[[Database, PaymentGateway | None, datetime], Awaitable[int]]

JOBS: dict[str, Job] = {
    "budget-sweep": lambda db, _, now: jobs.budget_sweep(db, now),
    "goal-check": lambda db, _, now: jobs.goal_check(db, now),
    "weekly-summary": lambda db, _, now: jobs.summaries(db, now, "weekly"),
    "monthly-summary": lambda db, _, now: jobs.summaries(db, now, "monthly"),
    "reconcile-payments": lambda db, gateway, now: jobs.reconcile_payments(db, gateway, now),
}


async def run_job(
    name: str, database: Database, gateway: PaymentGateway | None, now: datetime | None = None
) -> int | None:
    """Run one job; a failure is logged and reported as None, never raised."""
    began = time.perf_counter()
    JOB_RUNS.labels(name).inc()
    try:
        made = await JOBS[name](database, gateway, now or utcnow())
    except Exception:  # one job's failure must not stop the others or the process
        JOB_FAILURES.labels(name).inc()
        log.exception("job %s failed", name)
        return None
    log.info("job %s made %d in %.2fs", name, made, time.perf_counter() - began)
    return made
