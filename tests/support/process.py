"""`finbot serve` as a real process on a free port."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.mail import free_port


def finbot_command() -> list[str]:
    script = Path(sys.executable).parent / "finbot"
    return [str(script)] if script.exists() else [sys.executable, "-m", "finbot"]


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without any FINBOT_ setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINBOT_")}
    env.update(extra)
    return env


class ServeProcess:
    def __init__(self, workdir: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        self.log_path = workdir / f"serve-{self.port}.log"
        self.command = [*finbot_command(), "serve", "--port", str(self.port), *args]
        self.env = env if env is not None else clean_environment()
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "ServeProcess":
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                self.command, cwd=self.workdir, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"finbot serve exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"finbot serve did not come up:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __exit__(self, *_: object) -> None:
        self.stop()
