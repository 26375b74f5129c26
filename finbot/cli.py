"""The `finbot` command: serve, bot, scheduler, db."""

import logging
import os
import sys
from typing import Annotated

import typer

app = typer.Typer(
    help="finbot: a self-hosted personal finance assistant.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


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
) -> None:
    """Run the API (migrating the database first)."""
    import uvicorn

    _configure_logging()
    _migrate()
    typer.echo(f"finbot listening on http://{host}:{port} ({workers} worker(s))")
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=os.environ.get("FINBOT_LOG_LEVEL", "info").lower(),
        proxy_headers=True,
    )


def main() -> None:
    app()
