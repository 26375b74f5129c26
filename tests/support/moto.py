"""moto_server as a real S3 endpoint on a free port."""

import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.mail import free_port


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    """The running process and its URL."""
    port = free_port()
    script = Path(sys.executable).parent / "moto_server"
    process = subprocess.Popen(
        [str(script), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(url, timeout=0.5)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    return process, url
