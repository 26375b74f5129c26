"""Documents on the local disk and on S3 (a real moto_server process)."""

import os
import time
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest

from finbot.processes import create_app
from tests.conftest import clean_database, free_port_url
from tests.support.moto import start_moto

JPEG = b"\xff\xd8\xff\xe0" + os.urandom(50_000)
PDF = b"%PDF-1.4\n" + b"0" * 1000
BUCKET = "finbot-test"


@pytest.fixture
def moto_server() -> Iterator[str]:
    process, url = start_moto()
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)


def bucket_client(endpoint: str) -> Any:
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")


@pytest.fixture
async def s3_client(settings, moto_server, aws_credentials):
    bucket_client(moto_server).create_bucket(Bucket=BUCKET)
    app = create_app(
        settings.model_copy(
            update={"s3_bucket": BUCKET, "s3_endpoint_url": moto_server, "s3_region": "us-east-1"}
        )
    )
    await clean_database(app.state.database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://finbot.test") as http:
        yield http
    await app.state.database.dispose()


async def upload(client, headers, content=JPEG, name="receipt.jpg", claimed="text/plain", **form):
    return await client.post(
        "/api/documents/upload/",
        headers=headers,
        files={"file": (name, content, claimed)},
        data={k: str(v) for k, v in form.items()},
    )


async def test_local_upload_fetch_by_signed_link_and_delete(client, alice, settings):
    answer = await upload(client, alice, name="../../etc/passwd")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["content_type"] == "image/jpeg"  # from the bytes, not the client's claim
    assert body["size"] == len(JPEG)
    assert body["filename"] == "passwd"
    assert len(body["document_id"]) >= 16
    link = body["url"]
    assert link.startswith("http://finbot.test/api/documents/")
    got = await client.get(link.removeprefix("http://finbot.test"))  # no bearer token
    assert got.status_code == 200 and got.content == JPEG
    assert got.headers["content-type"] == "image/jpeg"
    stored = list((settings.storage_dir / "documents").rglob("*"))
    assert all(settings.storage_dir in p.resolve().parents for p in stored)

    again = await client.get(f"/api/documents/{body['document_id']}/", headers=alice)
    assert again.json()["document_id"] == body["document_id"]
    listed = await client.get("/api/documents/", headers=alice)
    assert [d["document_id"] for d in listed.json()] == [body["document_id"]]

    assert (
        await client.delete(f"/api/documents/{body['document_id']}/", headers=alice)
    ).status_code == 204
    assert (
        await client.get(f"/api/documents/{body['document_id']}/", headers=alice)
    ).status_code == 404
    assert [p for p in (settings.storage_dir / "documents").rglob("*") if p.is_file()] == []
    assert (await client.get(link.removeprefix("http://finbot.test"))).status_code == 404


async def test_forged_and_expired_local_links_are_403(client, alice):
    body = (await upload(client, alice)).json()
    path = body["url"].removeprefix("http://finbot.test")
    base, query = path.split("?")
    params = dict(part.split("=") for part in query.split("&"))
    forged = f"{base}?expires={params['expires']}&signature={'0' * 64}"
    assert (await client.get(forged)).status_code == 403
    longer = f"{base}?expires={int(params['expires']) + 3600}&signature={params['signature']}"
    assert (await client.get(longer)).status_code == 403
    from storage.local import sign

    past = int(time.time()) - 1
    expired = (
        f"{base}?expires={past}&signature={sign(b'test-secret-key', body['document_id'], past)}"
    )
    assert (await client.get(expired)).status_code == 403
    assert (await client.get(base)).status_code == 422  # no signature at all


async def test_oversize_upload_is_413_and_leaves_nothing(app, settings, alice):
    small = settings.model_copy(update={"max_upload_bytes": 10_000})
    limited = create_app(small)
    transport = httpx.ASGITransport(app=limited)
    async with httpx.AsyncClient(transport=transport, base_url="http://finbot.test") as client:
        just_over = await upload(client, alice, content=b"x" * 10_001)
        assert just_over.status_code == 413
        way_over = await upload(client, alice, content=b"x" * 2_000_000)
        assert way_over.status_code == 413
        at_cap = await upload(client, alice, content=b"x" * 10_000)
        assert at_cap.status_code == 201
        listed = await client.get("/api/documents/", headers=alice)
        assert listed.headers["X-Total-Count"] == "1"
    stored = [p for p in (settings.storage_dir / "documents").rglob("*") if p.is_file()]
    assert len(stored) == 1
    await limited.state.database.dispose()


async def test_attach_to_own_expense_only_and_detach_rules(client, alice, bob):
    expense = (
        await client.post("/api/expenses/", headers=alice, json={"category": "food", "amount": 45})
    ).json()
    assert expense["document_ids"] == []
    theirs = await upload(client, bob, expense_id=expense["id"])
    assert theirs.status_code == 404
    doc = (await upload(client, alice, content=PDF, expense_id=expense["id"])).json()
    assert doc["content_type"] == "application/pdf" and doc["expense_id"] == expense["id"]
    url = f"/api/expenses/{expense['id']}/"
    assert (await client.get(url, headers=alice)).json()["document_ids"] == [doc["document_id"]]
    # Another user's document is a 404 everywhere.
    assert (
        await client.get(f"/api/documents/{doc['document_id']}/", headers=bob)
    ).status_code == 404
    assert (
        await client.delete(f"/api/documents/{doc['document_id']}/", headers=bob)
    ).status_code == 404
    # Deleting the expense keeps the document, detached.
    assert (await client.delete(url, headers=alice)).status_code == 204
    kept = await client.get(f"/api/documents/{doc['document_id']}/", headers=alice)
    assert kept.status_code == 200 and kept.json()["expense_id"] is None
    # Deleting a document detaches it from its expense.
    other = (
        await client.post("/api/expenses/", headers=alice, json={"category": "food", "amount": 5})
    ).json()
    doc2 = (await upload(client, alice, expense_id=other["id"])).json()
    await client.delete(f"/api/documents/{doc2['document_id']}/", headers=alice)
    assert (await client.get(f"/api/expenses/{other['id']}/", headers=alice)).json()[
        "document_ids"
    ] == []


async def test_s3_upload_presigned_fetch_and_delete(s3_client, alice, moto_server):
    client = s3_client
    answer = await upload(client, alice)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["url"].startswith(moto_server)
    async with httpx.AsyncClient() as plain:
        got = await plain.get(body["url"])
    assert got.status_code == 200 and got.content == JPEG
    bucket = bucket_client(moto_server)
    keys = [o["Key"] for o in bucket.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert len(keys) == 1
    assert (
        await client.delete(f"/api/documents/{body['document_id']}/", headers=alice)
    ).status_code == 204
    assert bucket.list_objects_v2(Bucket=BUCKET).get("Contents", []) == []


async def test_s3_down_is_503_and_leaves_no_row(settings, alice, aws_credentials, client):
    down = create_app(
        settings.model_copy(
            update={"s3_bucket": BUCKET, "s3_endpoint_url": f"http://{free_port_url()}"}
        )
    )
    transport = httpx.ASGITransport(app=down)
    async with httpx.AsyncClient(transport=transport, base_url="http://finbot.test") as http:
        answer = await upload(http, alice)
        assert answer.status_code == 503
        assert answer.json()["detail"] == "document storage unavailable"
        listed = await http.get("/api/documents/", headers=alice)
        assert listed.headers["X-Total-Count"] == "0"
    await down.state.database.dispose()


async def test_upload_without_a_file_is_422(client, alice):
    answer = await client.post("/api/documents/upload/", headers=alice, data={"expense_id": "1"})
    assert answer.status_code == 422


async def test_served_files_are_nosniff_and_only_images_and_pdfs_inline(client, alice):
    for name, content, disposition in (
        ("r.pdf", PDF, "inline"),
        ("r.jpg", JPEG, "inline"),
        ("page.html", b"<html><script>alert(1)</script></html>", "attachment"),
        ("a.zip", b"PK\x03\x04" + b"0" * 100, "attachment"),
    ):
        answer = await client.post(
            "/api/documents/upload/", headers=alice, files={"file": (name, content)}
        )
        served = await client.get(answer.json()["url"].removeprefix("http://finbot.test"))
        assert served.status_code == 200 and served.content == content
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert served.headers["Content-Disposition"].startswith(disposition), name


async def test_a_non_ascii_signature_is_403_not_500(client, alice):
    body = (await upload(client, alice)).json()
    base, query = body["url"].removeprefix("http://finbot.test").split("?")
    params = dict(part.split("=") for part in query.split("&"))
    answer = await client.get(base, params={"expires": params["expires"], "signature": "é" * 64})
    assert answer.status_code == 403
