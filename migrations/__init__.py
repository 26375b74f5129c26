"""Alembic migrations, run from code: `finbot db upgrade` and `finbot serve`."""

from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).resolve().parent


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database to `revision`. Call it where no event loop is running."""
    command.upgrade(alembic_config(database_url), revision)
