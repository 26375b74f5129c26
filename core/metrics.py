"""Prometheus metrics, shared by every front door (GET /metrics serves them).

With several API processes, point PROMETHEUS_MULTIPROC_DIR at a shared empty
directory so that /metrics adds up all of them (prometheus-client's multiprocess mode).
"""

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "finbot_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
LATENCY = Histogram(
    "finbot_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
NOTIFICATIONS_MADE = Counter("finbot_notifications_made_total", "Notifications made", ["kind"])
NOTIFICATIONS_DELIVERED = Counter(
    "finbot_notifications_delivered_total", "Notifications delivered to Telegram chats"
)
BOT_UPDATES = Counter("finbot_bot_updates_total", "Telegram updates handled", ["outcome"])
JOB_RUNS = Counter("finbot_job_runs_total", "Scheduler job runs", ["job"])
JOB_FAILURES = Counter("finbot_job_failures_total", "Scheduler job runs that failed", ["job"])
