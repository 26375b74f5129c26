"""The `finbot` command: serve, bot, scheduler, db."""

import asyncio
import logging
import os
import subprocess
import sys
from typing import Annotated

import typer

app = typer.Typer(
    help="finbot: a self-hosted personal finance assistant.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
log = logging.getLogger("finbot")
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _log_level() -> str:
    return os.environ.get("FINBOT_LOG_LEVEL", "info").upper()


def _configure_logging() -> None:
    from core.config import Settings
    from core.logs import configure_logging

    configure_logging(Settings().log_format, _log_level())


def _migrate() -> None:
    from core.config import Settings
    from migrations import upgrade

    settings = Settings()
    upgrade(settings.database_url)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the Alembic migrations up to head."""
    _configure_logging()
    _migrate()
    typer.echo("database is at the newest schema")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="API processes.")] = 1,
    bot: Annotated[bool, typer.Option("--bot/--no-bot", help="Run the Telegram bot.")] = True,
    scheduler: Annotated[
        bool, typer.Option("--scheduler/--no-scheduler", help="Run the scheduler.")
    ] = True,
) -> None:
    """Run the API (migrating the database first), with the bot and the scheduler."""
    import uvicorn

    from core.config import Settings
    from core.logs import logging_config

    _configure_logging()
    _migrate()
    settings = Settings()
    helpers: list[subprocess.Popen[bytes]] = []
    webhook = bool(settings.telegram_webhook_url)
    bot_wanted = bot and settings.telegram_bot_token is not None
    # Telegram refuses two pollers of one token, and the scheduler needs one home:
    # with several workers they run once, in a process of their own.
    in_workers_bot = bot_wanted and (webhook or workers == 1)
    in_workers_scheduler = scheduler and workers == 1
    if bot_wanted and not in_workers_bot:
        helpers.append(subprocess.Popen([*_self_command(), "bot"]))
    if scheduler and not in_workers_scheduler:
        helpers.append(subprocess.Popen([*_self_command(), "scheduler"]))
    os.environ["FINBOT_RUN_BOT"] = "1" if in_workers_bot else "0"
    os.environ["FINBOT_RUN_SCHEDULER"] = "1" if in_workers_scheduler else "0"
    if workers > 1 and not settings.redis_url:
        log.warning(
            "--workers %d without FINBOT_REDIS_URL: a WebSocket hears only the "
            "notifications made in its own process",
            workers,
        )
    if bot_wanted:
        mode = f"webhook {settings.telegram_webhook_url}" if webhook else "long polling"
        typer.echo(f"telegram bot: {mode}")
    typer.echo(f"finbot listening on http://{host}:{port} ({workers} worker(s))")
    try:
        uvicorn.run(
            "finbot.processes:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=logging_config(settings.log_format, _log_level()),
            access_log=False,  # finbot.access logs each request, with its request id
            proxy_headers=True,
            timeout_graceful_shutdown=20,
        )
    finally:
        for helper in helpers:
            helper.terminate()
        for helper in helpers:
            helper.wait(timeout=30)


@app.command("bot")
def bot_command() -> None:
    """Run the Telegram bot alone (long polling) and deliver alerts to chats."""
    from core.config import Settings
    from finbot.processes import run_bot

    _configure_logging()
    settings = Settings()
    if settings.telegram_bot_token is None:
        typer.echo("FINBOT_TELEGRAM_BOT_TOKEN is not set: there is no bot to run.", err=True)
        raise typer.Exit(2)
    _migrate()
    asyncio.run(run_bot(settings))


scheduler_app = typer.Typer(
    help="The scheduler: budget sweeps, goal checks, summaries, payment reconciliation, purge.",
    invoke_without_command=True,
)
app.add_typer(scheduler_app, name="scheduler")


@scheduler_app.callback()
def scheduler_command(context: typer.Context) -> None:
    """Run the scheduler alone (without a sub-command)."""
    if context.invoked_subcommand is not None:
        return
    from core.config import Settings
    from finbot.processes import run_scheduler

    _configure_logging()
    _migrate()
    asyncio.run(run_scheduler(Settings()))


@scheduler_app.command("run-once")
def scheduler_run_once(
    jobs: Annotated[list[str], typer.Argument(help="Jobs to run, in order.")],
    now: Annotated[
        str | None, typer.Option(help="ISO-8601 time the jobs see (default: now).")
    ] = None,
) -> None:
    """Run those jobs once and exit."""
    from core.config import Settings
    from finbot.processes import run_jobs_once
    from scheduler.jobs import JOBS

    unknown = [job for job in jobs if job not in JOBS]
    if unknown:
        typer.echo(f"unknown job(s): {', '.join(unknown)}; known: {', '.join(JOBS)}", err=True)
        raise typer.Exit(2)
    if now is not None:
        from datetime import datetime

        try:
            datetime.fromisoformat(now)
        except ValueError:
            typer.echo(f"--now is not an ISO-8601 time: {now}", err=True)
            raise typer.Exit(2) from None
    _configure_logging()
    _migrate()
    results = asyncio.run(run_jobs_once(Settings(), jobs, now))
    for name, made in results.items():
        typer.echo(f"{name}: {'failed' if made is None else f'{made} made'}")
    if any(made is None for made in results.values()):
        raise typer.Exit(1)


def _self_command() -> list[str]:
    return [sys.executable, "-m", "finbot"]


def main() -> None:
    app()
