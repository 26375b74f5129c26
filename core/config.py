"""One Settings object for every front door (SPEC section 2)."""

import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr
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
    # Which parts `finbot serve` runs in its API processes (set by --no-bot,
    # --no-scheduler and --workers; rarely set by hand).
    run_bot: bool = True
    run_scheduler: bool = True

    @cached_property
    def signing_key(self) -> bytes:
        """The configured secret, or one generated once and kept in the data dir.

        Kept on disk so that signed links survive a restart and agree across workers.
        """
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        path = self.storage_dir / SECRET_KEY_FILE
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            candidate = secrets.token_urlsafe(48)
            try:
                # O_EXCL: two workers starting together agree on one key.
                with path.open("x", encoding="utf-8") as handle:
                    handle.write(candidate)
                path.chmod(0o600)
            except FileExistsError:
                pass
        return path.read_text(encoding="utf-8").strip().encode()

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def get_settings() -> Settings:
    return Settings()
