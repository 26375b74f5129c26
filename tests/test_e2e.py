"""`finbot serve` as a real process, in an empty directory, with no configuration."""

import httpx

from tests.process import ServeProcess


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
        http.post(
            "/api/auth/signup/",
            json={"username": "boris", "email": "boris@example.org", "password": "a long secret"},
        )
        token = http.post(
            "/api/auth/login/", json={"username": "boris", "password": "a long secret"}
        ).json()["token"]
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
