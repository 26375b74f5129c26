"""One Settings object for every front door (SPEC section 2)."""

import contextlib
import os
import secrets
import tempfile
from functools import cached_property
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_KEY_FILE = "secret_key"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FINBOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        # FINBOT_TELEGRAM_BOT_TOKEN= (empty, as in .env.example) means unset, not "".
        env_ignore_empty=True,
    )

    database_url: str = "sqlite+aiosqlite:///./finbot.db"
    redis_url: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    secret_key: SecretStr | None = None

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    mail_from: str = "finbot@localhost"

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    # The bot's @username, for t.me deep links (household invites); optional.
    telegram_bot_username: str | None = None

    storage_dir: Path = Path("./finbot-data")
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None

    stripe_api_key: SecretStr | None = None
    stripe_api_base: str | None = None
    stripe_webhook_secret: SecretStr | None = None
    rates_url: str | None = None

    token_ttl_days: float = Field(default=30, gt=0)  # counted from the token's last use
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    log_format: str = "text"
    # The longest a request waits for its turn in a busy process (then 503, Retry-After).
    queue_wait_seconds: float = Field(default=5, gt=0)
    # The longest a client may take to send a request's body once its headers are in
    # (then 408): uvicorn has no such limit, and a trickled body would hold its
    # connection and memory for ever. Uploads (documents, statements) stream instead.
    body_read_seconds: float = Field(default=30, gt=0)
    # When set, GET /metrics needs `Authorization: Bearer <token>`; unset, it answers
    # only clients on this host (loopback).
    metrics_token: SecretStr | None = None
    # Which parts `finbot serve` runs in its API processes (set by --no-bot,
    # --no-scheduler and --workers; rarely set by hand).
    run_bot: bool = True
    run_scheduler: bool = True

    @model_validator(mode="after")
    def _refuse_unsafe_combinations(self) -> Self:
        if self.telegram_webhook_url and not (
            self.telegram_webhook_secret and self.telegram_webhook_secret.get_secret_value()
        ):
            raise ValueError(
                "FINBOT_TELEGRAM_WEBHOOK_URL is set but FINBOT_TELEGRAM_WEBHOOK_SECRET is not: "
                "webhook mode needs a secret (1-256 of A-Z a-z 0-9 _ -), or anyone could post "
                "forged updates; set one, or unset the URL to use long polling"
            )
        if self.secret_key is not None and not self.secret_key.get_secret_value().strip():
            raise ValueError("FINBOT_SECRET_KEY is empty: set a long random value, or unset it")
        if self.metrics_token is not None and not self.metrics_token.get_secret_value().strip():
            raise ValueError("FINBOT_METRICS_TOKEN is empty: set a long random value, or unset it")
        return self

    @cached_property
    def signing_key(self) -> bytes:
        """The configured secret, or one generated once and kept in the data dir.

        Kept on disk so that signed links survive a restart and agree across workers.
        """
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        path = self.storage_dir / SECRET_KEY_FILE
        if not path.exists():
            _write_key_once(path, secrets.token_urlsafe(48))
        key = path.read_text(encoding="utf-8").strip()
        if not key:
            raise RuntimeError(f"{path} is empty: delete it (a new key is made) or fill it")
        return key.encode()

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _write_key_once(path: Path, key: str) -> None:
    """Write the key whole and private, or leave the one another worker already wrote.

    The key goes to a 0600 temporary file first and is then linked into place: no
    reader ever sees a half-written (empty) key, and unlike a rename the link never
    replaces a key that another worker is already signing with.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key-")  # mode 0600
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(key)
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):  # another worker won: use its key
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


def get_settings() -> Settings:
    return Settings()
