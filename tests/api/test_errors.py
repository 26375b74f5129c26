"""The error contract: malformed input is a 4xx that changes nothing; never a 500."""

import json

import httpx
import pytest

from api.main import JSON_BODY_LIMIT
from finbot.processes import create_app
from tests.conftest import aiosqlite_threads_finished, free_port_url

HUGE_INT = "9" * 5000


MALFORMED_BODIES: list[tuple[str, bytes, str]] = [
    ("truncated JSON", b'{"category": "food", "amount": ', "application/json"),
    ("not an object", b"[1, 2, 3]", "application/json"),
    ("a bare string", b'"coffee 4.50"', "application/json"),
    ("null", b"null", "application/json"),
    ("NaN", b'{"category": "food", "amount": NaN}', "application/json"),
    ("Infinity", b'{"category": "food", "amount": Infinity}', "application/json"),
    ("1e400", b'{"category": "food", "amount": 1e400}', "application/json"),
    (
        "a 5000-digit integer",
        b'{"category": "food", "amount": %s}' % HUGE_INT.encode(),
        "application/json",
    ),
    ("amount as object", b'{"category": "food", "amount": {"v": 1}}', "application/json"),
    ("category as list", b'{"category": ["a"], "amount": 1}', "application/json"),
    ("NUL in text", b'{"category": "fo\\u0000od", "amount": 1}', "application/json"),
    ("lone surrogate", b'{"category": "\\ud800", "amount": 1}', "application/json"),
    ("invalid UTF-8", b'{"category": "\xff\xfe", "amount": 1}', "application/json"),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000, "application/json"),
    (
        "ten megabyte string",
        json.dumps({"category": "x" * 10_000_000, "amount": 1}).encode(),
        "application/json",
    ),
    ("form encoded", b"category=food&amount=1", "application/x-www-form-urlencoded"),
    ("empty body", b"", "application/json"),
]


@pytest.mark.parametrize("case", MALFORMED_BODIES, ids=[c[0] for c in MALFORMED_BODIES])
async def test_malformed_expense_bodies_are_4xx_and_store_nothing(client, alice, case):
    name, content, content_type = case
    answer = await client.post(
        "/api/expenses/", headers={**alice, "Content-Type": content_type}, content=content
    )
    assert 400 <= answer.status_code < 500, answer.text[:300]
    if len(content) > JSON_BODY_LIMIT:  # the 1 MiB body limit answers, not the parser
        assert answer.status_code == 413, (name, answer.status_code)
    assert "Traceback" not in answer.text
    listed = await client.get("/api/expenses/", headers=alice)
    assert listed.headers["X-Total-Count"] == "0"


@pytest.mark.parametrize(
    "path",
    [
        "/api/expenses/abc/",
        "/api/expenses/0/",
        "/api/expenses/-1/",
        "/api/expenses/99999999999999999999999/",
        "/api/expenses/2147483648/",
        "/api/expenses/?category=%00",
        "/api/expenses/?limit=1e3",
        "/api/expenses/?from=2026-02-30",
        "/api/budgets/1.5/",
    ],
)
async def test_malformed_paths_and_queries_are_4xx(client, alice, path):
    answer = await client.get(path, headers=alice)
    assert 400 <= answer.status_code < 500, (path, answer.status_code, answer.text[:300])


async def test_unknown_fields_are_ignored(client, alice):
    answer = await client.post(
        "/api/expenses/",
        headers=alice,
        json={"category": "food", "amount": 1, "date": "2026-01-01", "colour": "red", "id": 5},
    )
    assert answer.status_code == 201
    assert "colour" not in answer.json()


async def test_a_database_that_is_down_answers_503(settings):
    down = settings.model_copy(
        update={"database_url": f"postgresql+asyncpg://postgres@{free_port_url()}/nothing"}
    )
    app = create_app(down)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://finbot.test") as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).status_code == 503
        signup = await client.post(
            "/api/auth/signup/",
            json={"username": "ana", "email": "ana@example.org", "password": "long enough"},
        )
        assert signup.status_code == 503
        assert signup.headers["Retry-After"]
        listed = await client.get("/api/expenses/", headers={"Authorization": "Bearer abc"})
        assert listed.status_code == 503
        assert "Traceback" not in listed.text
    await app.state.database.dispose()


async def test_an_unopenable_sqlite_file_answers_503(settings, tmp_path):
    broken = settings.model_copy(
        update={"database_url": f"sqlite+aiosqlite:///{tmp_path}/missing/dir/finbot.db"}
    )
    app = create_app(broken)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://finbot.test") as client:
        assert (await client.get("/readyz")).status_code == 503
        answer = await client.post("/api/auth/login/", json={"username": "a", "password": "b"})
        assert answer.status_code == 503
    await app.state.database.dispose()
    await aiosqlite_threads_finished()


async def test_readyz_with_a_live_database(client):
    assert (await client.get("/readyz")).status_code == 200


async def test_every_route_declares_a_response_model(app):
    schema = app.openapi()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            success = {k: v for k, v in operation["responses"].items() if k.startswith("2")}
            assert success, (method, path)
            for status, response in success.items():
                if status in {"202", "204"} or path in {"/metrics"} or path.endswith("/content/"):
                    # no body, Prometheus text, or a file's bytes
                    continue
                content = response.get("content", {}).get("application/json", {})
                assert content.get("schema"), (method, path, status)


async def test_docs_are_served(client):
    assert (await client.get("/docs")).status_code == 200
    assert (await client.get("/openapi.json")).json()["info"]["title"] == "finbot"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("POST", "/api/expenses/1/", {"GET", "HEAD", "PUT", "PATCH", "DELETE"}),
        ("DELETE", "/api/expenses/", {"GET", "HEAD", "POST"}),
        ("PUT", "/api/auth/login/", {"POST"}),
        ("POST", "/api/auth/me/", {"GET", "HEAD", "PATCH"}),
    ],
)
async def test_every_405_names_every_method_of_the_path(client, alice, method, path, allowed):
    answer = await client.request(method, path, headers=alice)
    assert answer.status_code == 405
    assert {m.strip() for m in answer.headers["Allow"].split(",")} == allowed
