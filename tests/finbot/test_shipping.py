"""What operators rely on: the compose file, the settings list, logs, metrics, export."""

import csv
import io
import json
import logging
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.main import get_command

from core.config import Settings
from finbot.cli import app as cli

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {f"FINBOT_{name.upper()}" for name in Settings.model_fields}


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_every_compose_command_is_a_real_finbot_command() -> None:
    group = get_command(cli)
    services = compose()["services"]
    finbot_services = {n: s for n, s in services.items() if s.get("command", [""])[0] == "finbot"}
    assert set(finbot_services) == {"api", "scheduler"}
    for name, service in finbot_services.items():
        _, sub_name, *arguments = service["command"]
        sub = group.commands.get(sub_name)  # type: ignore[attr-defined]
        assert sub is not None, f"{name}: finbot has no command {sub_name!r}"
        # Parsed exactly as `finbot` would parse them: an unknown option raises here.
        sub.make_context(sub_name, list(arguments))
    assert "--no-scheduler" in services["api"]["command"]


def test_every_finbot_variable_in_compose_is_a_setting_and_all_are_wired() -> None:
    environment = compose()["x-finbot"]["environment"]
    used = {k for k in environment if k.startswith("FINBOT_")}
    assert used <= SETTINGS, used - SETTINGS
    internal = {"FINBOT_RUN_BOT", "FINBOT_RUN_SCHEDULER"}  # set by the serve command itself
    assert SETTINGS - internal <= used, (SETTINGS - internal) - used
    for name in ("postgres", "redis", "minio", "minio-bucket"):
        assert name in compose()["services"]
    for name in ("api", "postgres", "redis", "minio"):
        assert "healthcheck" in compose()["services"][name], name
    assert set(compose()["volumes"]) >= {"postgres-data", "redis-data", "minio-data"}


def test_env_example_lists_every_setting_and_nothing_else() -> None:
    listed = set(
        re.findall(r"^#?\s*(FINBOT_[A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M)
    )
    assert listed == SETTINGS


def test_dockerfile_runs_finbot_serve_as_a_non_root_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.M)
    assert re.search(r"^USER finbot$", dockerfile, re.M)
    assert 'CMD ["finbot", "serve"' in dockerfile


async def test_one_log_line_per_request_with_its_id_and_no_secrets(client, alice, caplog):
    caplog.set_level(logging.INFO, logger="finbot.access")
    answer = await client.get(
        "/api/expenses/?token=should-not-appear", headers={**alice, "X-Request-ID": "req-42"}
    )
    assert answer.headers["X-Request-ID"] == "req-42"
    [record] = [r for r in caplog.records if r.name == "finbot.access"]
    assert (record.request_id, record.method, record.path, record.status) == (
        "req-42", "GET", "/api/expenses/", 200,
    )  # fmt: skip
    # Measured, not a placeholder: a request through auth and the database takes time.
    assert isinstance(record.duration_ms, float) and 0 < record.duration_ms < 60_000
    assert "should-not-appear" not in caplog.text
    token = alice["Authorization"].removeprefix("Bearer ")
    assert token not in caplog.text
    generated = await client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["X-Request-ID"])


def test_json_log_format_and_redaction() -> None:
    from core.logs import JsonFormatter, RedactSecrets

    record = logging.makeLogRecord(
        {"name": "uvicorn.error", "levelname": "INFO", "msg": "GET %s",
         "args": ("/api/notifications/ws?token=abc123secret",), "request_id": "r1"}
    )  # fmt: skip
    RedactSecrets().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "GET /api/notifications/ws?token=[redacted]"
    assert line["request_id"] == "r1" and line["level"] == "INFO"


async def test_metrics_count_requests_notifications_and_jobs(client, alice, app):
    from scheduler.jobs import run_job

    await client.post(
        "/api/budgets/", headers=alice, json={"category": "x", "limit": 1, "period": "daily"}
    )
    await client.post("/api/expenses/", headers=alice, json={"category": "x", "amount": 2})
    await run_job("goal-check", app.state.database, None)
    text = (await client.get("/metrics")).text
    assert re.search(
        r'finbot_http_requests_total\{method="POST",route="/api/expenses/",status="201"\} \d', text
    )
    assert (
        'finbot_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/api/expenses/"}'
        in text
    )
    assert re.search(r'finbot_notifications_made_total\{kind="budget"\} [1-9]', text)
    assert re.search(r'finbot_job_runs_total\{job="goal-check"\} [1-9]', text)
    assert "finbot_notifications_delivered_total" in text
    assert "finbot_bot_updates_total" in text


async def test_export_json_and_csv_hold_all_of_a_users_data_and_nobody_elses(client, alice, bob):
    await client.post(
        "/api/expenses/",
        headers=alice,
        json={"category": "food", "amount": "12.30", "date": "2026-01-02"},
    )
    await client.post("/api/incomes/", headers=alice, json={"source": "pay", "amount": 100})
    await client.post(
        "/api/budgets/", headers=alice, json={"category": "food", "limit": 10, "period": "monthly"}
    )
    await client.post(
        "/api/goals/",
        headers=alice,
        json={"target_amount": 5, "saved_amount": 5, "deadline": "2030-01-01"},
    )
    await client.post(
        "/api/documents/upload/", headers=alice, files={"file": ("r.pdf", b"%PDF-1.4 x")}
    )
    await client.post("/api/expenses/", headers=bob, json={"category": "secret", "amount": 1})

    answer = await client.get("/api/export/?format=json", headers=alice)
    assert answer.status_code == 200
    assert "attachment" in answer.headers["Content-Disposition"]
    data = answer.json()
    assert data["user"]["username"] == "alice"
    assert [e["amount"] for e in data["expenses"]] == [12.3]
    assert len(data["incomes"]) == len(data["budgets"]) == len(data["goals"]) == 1
    assert len(data["documents"]) == 1 and data["payments"] == []
    assert {n["kind"] for n in data["notifications"]} == {"goal"}
    assert "secret" not in answer.text

    zipped = await client.get("/api/export/?format=csv", headers=alice)
    assert zipped.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(zipped.content))
    assert set(archive.namelist()) == {
        "user.csv", "expenses.csv", "incomes.csv", "budgets.csv", "goals.csv",
        "notifications.csv", "payments.csv", "documents.csv",
    }  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(archive.read("expenses.csv").decode())))
    assert [(r["category"], r["amount"], r["date"]) for r in rows] == [
        ("food", "12.3", "2026-01-02")
    ]
    assert archive.read("payments.csv").decode().startswith("id,amount,currency,status")
    assert (await client.get("/api/export/?format=xml", headers=alice)).status_code == 422
    assert (await client.get("/api/export/")).status_code == 401


async def test_a_delivery_cut_short_is_sent_after_its_lease(app, alice, client):
    """Shutdown mid-delivery loses nothing: a claimed but unsent alert goes out later."""
    from datetime import timedelta

    from core.models import User
    from core.models.base import utcnow
    from core.notifications.repository import NotificationRepository
    from core.notifications.service import notify

    me = (await client.get("/api/auth/me/", headers=alice)).json()
    async with app.state.database.session() as session:
        user = await session.get(User, me["id"])
        user.telegram_chat_id = 99
        user.telegram_linked_at = utcnow() - timedelta(seconds=1)
        await session.flush()
        await notify(session, me["id"], "test", "must arrive")
    now = utcnow()
    async with app.state.database.session() as session:
        claimed = await NotificationRepository(session).claim_deliveries(
            now, now + timedelta(seconds=60), 10
        )
    assert [n.message for n, _ in claimed] == ["must arrive"]
    # The sender stops here (shutdown). Until the lease ends, nobody else takes it...
    async with app.state.database.session() as session:
        repository = NotificationRepository(session)
        assert await repository.claim_deliveries(now, now + timedelta(seconds=60), 10) == []
        later = now + timedelta(seconds=61)
        again = await repository.claim_deliveries(later, later + timedelta(seconds=60), 10)
    # ...then the next sender (after a restart) does.
    assert [n.message for n, _ in again] == ["must arrive"]


@pytest.mark.parametrize(
    "command",
    [["serve", "--help"], ["bot", "--help"], ["scheduler", "--help"], ["db", "upgrade", "--help"]],
)
def test_cli_commands_exist(command: list[str]) -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 0, result.output
