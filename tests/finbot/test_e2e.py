"""`finbot serve` as a real process, in an empty directory, with no configuration."""

from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.support.process import ServeProcess


def sign_up(http: httpx.Client, name: str) -> str:
    """A new account on a running `finbot serve`; its bearer token."""
    body = {"username": name, "email": f"{name}@example.org", "password": "a long secret"}
    assert http.post("/api/auth/signup/", json=body).status_code == 201
    return str(http.post("/api/auth/login/", json=body).json()["token"])


def test_serve_with_no_configuration_records_and_reads_back(tmp_path):
    workdir = tmp_path / "empty"
    with ServeProcess(workdir) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        assert "listening on" in server.log()
        assert http.get("/readyz").status_code == 200
        signup = http.post(
            "/api/auth/signup/",
            json={"username": "ana", "email": "ana@example.org", "password": "a long secret"},
        )
        assert signup.status_code == 201, signup.text
        token = http.post(
            "/api/auth/login/", json={"username": "ana", "password": "a long secret"}
        ).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        created = http.post(
            "/api/expenses/",
            headers=auth,
            json={
                "category": "food",
                "amount": "12.30",
                "date": "2026-11-20",
                "description": "lunch",
            },
        )
        assert created.status_code == 201, created.text
        [expense] = http.get("/api/expenses/", headers=auth).json()
        assert expense == created.json()
        assert expense["amount"] == 12.3
    # Embedded defaults: the SQLite file and the data dir live where it was started.
    assert (workdir / "finbot.db").exists()


def test_serve_stores_a_document_locally_and_serves_it_by_signed_link(tmp_path):
    server = ServeProcess(tmp_path / "docs")
    server.env["FINBOT_PUBLIC_URL"] = server.url
    jpeg = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 400
    with server, httpx.Client(base_url=server.url, timeout=10) as http:
        token = sign_up(http, "boris")
        answer = http.post(
            "/api/documents/upload/",
            headers={"Authorization": f"Bearer {token}"},
            files={"file": ("scan.jpg", jpeg, "application/octet-stream")},
        )
        assert answer.status_code == 201, answer.text
        got = httpx.get(answer.json()["url"], timeout=10)  # a plain client, no token
        assert got.status_code == 200 and got.content == jpeg
        assert got.headers["content-type"] == "image/jpeg"
    assert "signature=" not in server.log().replace("signature=[redacted]", "")


def test_sigterm_lets_an_in_flight_request_finish(tmp_path):
    import signal
    import threading
    import time

    server = ServeProcess(tmp_path / "grace")
    with server, httpx.Client(base_url=server.url, timeout=30) as http:
        token = sign_up(http, "gina")
        boundary = "finbot-test-boundary"
        started = threading.Event()

        def slow_upload_body() -> Iterator[bytes]:
            yield (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="s.txt"\r\n'
                "Content-Type: text/plain\r\n\r\n"
            ).encode()
            started.set()
            for _ in range(10):
                time.sleep(0.2)
                yield b"x" * 1000
            yield f"\r\n--{boundary}--\r\n".encode()

        answers: list[httpx.Response] = []
        upload = threading.Thread(
            target=lambda: answers.append(
                http.post(
                    "/api/documents/upload/",
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": f"multipart/form-data; boundary={boundary}",
                    },
                    content=slow_upload_body(),
                )
            )
        )
        upload.start()
        assert started.wait(10)
        time.sleep(0.3)
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)  # mid-request
        upload.join(30)
        assert [a.status_code for a in answers] == [201]
        assert answers[0].json()["size"] == 10_000
        # uvicorn re-raises the signal once it has shut down cleanly, so the exit
        # status reads "terminated by SIGTERM"; what matters is that it waited.
        assert server.process.wait(timeout=30) in (0, -signal.SIGTERM)


def _children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of a process's direct children (Linux /proc)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line
            )
            if int(fields.get("PPid", "0").strip()) == pid:
                cmdline = (status.parent / "cmdline").read_bytes().replace(b"\0", b" ")
                found.append((int(status.parent.name), cmdline.decode(errors="replace").strip()))
        except (OSError, ValueError):
            continue
    return found


def test_several_workers_run_the_scheduler_once_and_warn_without_redis(tmp_path):
    server = ServeProcess(tmp_path / "workers", "--workers", "2")
    with server, httpx.Client(base_url=server.url, timeout=10) as http:
        assert http.get("/readyz").status_code == 200
        assert "without FINBOT_REDIS_URL: a WebSocket hears only" in server.log()
        assert server.process is not None
        children = _children(server.process.pid)
        schedulers = [pid for pid, command in children if "finbot scheduler" in command]
        assert len(schedulers) == 1, children
    # Stopping serve stops its scheduler too.
    status = Path(f"/proc/{schedulers[0]}/status")
    assert not status.exists() or "zombie" in status.read_text()
