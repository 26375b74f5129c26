"""Issue 13: the generated signing key is written whole and private; empty keys are refused."""

import stat
import threading
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.config import SECRET_KEY_FILE, Settings


def fresh(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, storage_dir=tmp_path)


def test_the_generated_key_is_private_and_agreed_by_every_worker(tmp_path: Path):
    keys: list[bytes] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        settings = fresh(tmp_path)
        barrier.wait()
        keys.append(settings.signing_key)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 1 and len(keys[0]) >= 48
    path = tmp_path / SECRET_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [SECRET_KEY_FILE]  # no temporary left
    assert fresh(tmp_path).signing_key == keys[0]


def test_the_key_file_is_never_written_in_place(tmp_path: Path, monkeypatch):
    # Written in place, a second worker could read the file between create and write.
    opened: list[str] = []
    real_open = Path.open

    def watching_open(self: Path, mode: str = "r", *args, **kwargs):
        if self.name == SECRET_KEY_FILE and mode != "r":
            opened.append(mode)
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", watching_open)
    assert fresh(tmp_path).signing_key
    assert opened == []


def test_an_empty_key_file_is_refused(tmp_path: Path):
    (tmp_path / SECRET_KEY_FILE).write_text("\n")
    with pytest.raises(RuntimeError, match="empty"):
        _ = fresh(tmp_path).signing_key


def test_an_empty_configured_key_is_refused(tmp_path: Path):
    with pytest.raises(ValidationError, match="FINBOT_SECRET_KEY is empty"):
        Settings(_env_file=None, storage_dir=tmp_path, secret_key="   ")


def test_the_new_limits_default_as_the_spec_says_and_an_empty_metrics_token_is_refused(
    tmp_path: Path,
):
    settings = Settings(_env_file=None, storage_dir=tmp_path)
    assert settings.queue_wait_seconds == 5
    assert settings.body_read_seconds == 30
    assert settings.metrics_token is None
    with pytest.raises(ValidationError, match="FINBOT_METRICS_TOKEN is empty"):
        Settings(_env_file=None, storage_dir=tmp_path, metrics_token=" ")
