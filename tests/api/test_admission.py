"""FIFO admission: at most `limit` short requests of a process run at once, the rest in
arrival order; files, passwords and the WebSocket are never queued."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from pydantic import SecretStr
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.types import Message

from api.admission import FifoAdmission, admitted_at_once
from core.config import Settings
from tests.conftest import clean_database, make_user
from tests.support.mail import free_port


def counting_app():
    state: dict[str, Any] = {"running": 0, "most": 0, "order": []}

    async def app(scope, receive, send):
        state["running"] += 1
        state["most"] = max(state["most"], state["running"])
        state["order"].append(scope["path"])
        await asyncio.sleep(0.02)
        state["running"] -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    return app, state


def gated_client(app: Any, limit: int) -> httpx.AsyncClient:
    gated = FifoAdmission(app, limit=limit)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=gated), base_url="http://t")


async def test_at_most_the_limit_run_at_once_and_in_arrival_order():
    app, state = counting_app()
    async with gated_client(app, limit=3) as client:
        paths = [f"/api/expenses/{n}/" for n in range(12)]
        tasks = []
        for path in paths:
            tasks.append(asyncio.create_task(client.get(path)))
            await asyncio.sleep(0.001)  # arrival order
        answers = await asyncio.gather(*tasks)
    assert [a.status_code for a in answers] == [200] * 12
    assert state["most"] == 3
    assert state["order"] == paths


async def test_files_and_passwords_are_never_queued():
    app, state = counting_app()
    async with gated_client(app, limit=1) as client:
        paths = ["/api/imports/", "/api/documents/", "/api/export/", "/api/auth/login/"] * 2
        await asyncio.gather(*(client.get(path) for path in paths))
    assert state["most"] == len(paths)


def test_the_app_admits_by_its_database_fewer_at_once_on_sqlite(settings):
    """SQLite's writers take turns on one lock: more in flight would only queue there;
    PostgreSQL serves several at once."""
    from finbot.processes import create_app

    app = create_app(settings)
    [gate] = [m for m in app.user_middleware if m.cls is FifoAdmission]
    expected = 6 if settings.database_url.startswith("sqlite") else 12
    assert gate.kwargs["limit"] == admitted_at_once(settings.database_url) == expected
    assert admitted_at_once("sqlite+aiosqlite:///finbot.db") < admitted_at_once(
        "postgresql+asyncpg://postgres@127.0.0.1/finbot"
    )


# --- Bodies first, bounded waits (H6 of the 2026-12 security review; SPEC section 12) ---
#
# The asyncio.timeout blocks below guard against a hang (the old gate waited for ever);
# they time nothing: each is many times what the step needs.

HANG = 30


def held_app():
    """An app whose /held/ requests run until `release` is set; every request reads
    its body first, as FastAPI's handlers do."""
    state: dict[str, Any] = {"release": asyncio.Event(), "held": asyncio.Event(), "bodies": []}

    async def app(scope, receive, send):
        if scope["type"] != "http":  # uvicorn's lifespan: nothing to start
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        state["bodies"].append(body)
        if scope["path"].startswith("/held/"):
            state["held"].set()
            await state["release"].wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    return app, state


def http_scope(path: str, headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, Any]:
    return {
        "type": "http",
        "method": "POST",
        "path": path,
        "headers": headers or [],
        "query_string": b"",
    }


class Exchange:
    """One request driven by hand: the test says when each part of the body arrives."""

    def __init__(self) -> None:
        self.incoming: asyncio.Queue[Message] = asyncio.Queue()
        self.sent: list[Message] = []
        self.receives = 0
        self.starved = asyncio.Event()  # set once a receive finds nothing to take

    async def receive(self) -> Message:
        self.receives += 1
        if self.incoming.empty():
            self.starved.set()
        return await self.incoming.get()

    async def send(self, message: Message) -> None:
        self.sent.append(message)

    def part(self, body: bytes, more: bool) -> None:
        self.incoming.put_nowait({"type": "http.request", "body": body, "more_body": more})

    @property
    def status(self) -> int | None:
        starts = [m for m in self.sent if m["type"] == "http.response.start"]
        return starts[0]["status"] if starts else None

    def header(self, name: bytes) -> str | None:
        [start] = [m for m in self.sent if m["type"] == "http.response.start"]
        found = [v for k, v in start["headers"] if k.lower() == name]
        return found[0].decode() if found else None


async def test_a_client_still_sending_its_body_holds_no_turn():
    app, state = held_app()
    gate = FifoAdmission(app, limit=1)
    slow = Exchange()
    slow.part(b'{"amount"', more=True)  # and nothing more for now
    trickling = asyncio.create_task(gate(http_scope("/api/expenses/"), slow.receive, slow.send))
    await slow.starved.wait()  # it took the first part and waits for the next
    fast = Exchange()
    fast.part(b'{"amount": 1}', more=False)
    async with asyncio.timeout(HANG):
        await gate(http_scope("/api/expenses/"), fast.receive, fast.send)
    assert fast.status == 200
    assert state["bodies"] == [b'{"amount": 1}']
    # Once in, the slow one's body reaches the app whole, in one message.
    slow.part(b": 2}", more=False)
    async with asyncio.timeout(HANG):
        await trickling
    assert slow.status == 200
    assert state["bodies"][-1] == b'{"amount": 2}'


async def test_a_request_waits_for_a_turn_at_most_the_bound_then_503_with_retry_after():
    app, state = held_app()
    gate = FifoAdmission(app, limit=1, wait_seconds=0.05)
    holder = Exchange()
    holder.part(b"", more=False)
    holding = asyncio.create_task(gate(http_scope("/held/"), holder.receive, holder.send))
    await state["held"].wait()
    waiting = Exchange()
    waiting.part(b"", more=False)
    async with asyncio.timeout(HANG):
        await gate(http_scope("/api/expenses/"), waiting.receive, waiting.send)
    assert waiting.status == 503
    assert waiting.header(b"retry-after") == "1"
    assert waiting.header(b"content-type") == "application/json"
    [body] = [m["body"] for m in waiting.sent if m["type"] == "http.response.body"]
    assert b'"detail"' in body
    assert state["bodies"] == [b""]  # the app never saw it
    state["release"].set()
    await holding
    assert holder.status == 200


async def test_probes_and_webhooks_never_wait_for_a_turn():
    app, state = held_app()
    gate = FifoAdmission(app, limit=1, wait_seconds=HANG)
    holder = Exchange()
    holder.part(b"", more=False)
    holding = asyncio.create_task(gate(http_scope("/held/"), holder.receive, holder.send))
    await state["held"].wait()
    for path in (
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/telegram/webhook/",
        "/api/payments/webhook/",
    ):
        probe = Exchange()
        probe.part(b"{}", more=False)
        async with asyncio.timeout(HANG):
            await gate(http_scope(path), probe.receive, probe.send)
        assert probe.status == 200, path
    state["release"].set()
    await holding


async def test_a_body_not_received_within_the_bound_is_408_and_closes_the_connection():
    app, state = held_app()
    gate = FifoAdmission(app, limit=1, body_seconds=0.05)
    slow = Exchange()
    slow.part(b"{", more=True)  # the rest never comes
    async with asyncio.timeout(HANG):
        await gate(http_scope("/api/expenses/"), slow.receive, slow.send)
    assert slow.status == 408
    assert slow.header(b"connection") == "close"
    assert state["bodies"] == []


async def test_a_body_over_the_apps_limit_is_413_and_never_read_whole():
    app, state = held_app()
    gate = FifoAdmission(app, limit=1)
    scope = http_scope("/api/expenses/", [(b"content-length", b"2048")])
    scope[MAX_BODY_SIZE_SCOPE_KEY] = 1024
    declared = Exchange()
    async with asyncio.timeout(HANG):
        await gate(scope, declared.receive, declared.send)
    assert declared.status == 413 and declared.receives == 0

    chunked = Exchange()
    for _ in range(100):
        chunked.part(b"x" * 600, more=True)
    scope = http_scope("/api/expenses/")
    scope[MAX_BODY_SIZE_SCOPE_KEY] = 1024
    async with asyncio.timeout(HANG):
        await gate(scope, chunked.receive, chunked.send)
    assert chunked.status == 413 and chunked.receives == 2  # read up to the limit only
    assert state["bodies"] == []


async def test_the_apps_413_through_the_gate_is_json_as_before(client, alice):
    answer = await client.post(
        "/api/expenses/",
        headers={**alice, "Content-Type": "application/json"},
        content=b'{"amount": 1, "category": "' + b"x" * (2 * 1024 * 1024) + b'"}',
    )
    assert answer.status_code == 413


# --- The same through a real uvicorn and raw sockets ---


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """`app` under uvicorn on a free port of this host, in this loop; its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="auto",
            # A test that failed may leave a request in flight: stop anyway.
            timeout_graceful_shutdown=5,
        )
    )
    running = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(HANG):
            while not server.started:
                if running.done():
                    running.result()  # raises what stopped it
                await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await running


async def trickler(
    url: str, path: str, declared: int = 100_000
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A client that sends a POST's headers and the first byte of its body, and no more
    for now: an attacker needs no token for this."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {declared}\r\n\r\n{{".encode()
    )
    await writer.drain()
    return reader, writer


@pytest.fixture
async def finbot_served(settings: Settings) -> AsyncIterator[str]:
    """finbot's own app (no scheduler, no bot) under uvicorn."""
    from finbot.processes import create_app

    app = create_app(settings.model_copy(update={"run_scheduler": False, "body_read_seconds": 600}))
    await clean_database(app.state.database, keep_reference=True)
    try:
        async with serving(app) as url:
            yield url
    finally:
        await app.state.database.dispose()


async def test_slow_clients_on_a_real_server_keep_no_one_waiting(finbot_served, settings):
    """Twice as many slow senders as the process admits at once: probes and a signed-in
    user's expense still answer while they trickle."""
    slow = 2 * admitted_at_once(settings.database_url) + 1
    writers = [(await trickler(finbot_served, "/api/expenses/"))[1] for _ in range(slow)]
    try:
        async with httpx.AsyncClient(base_url=finbot_served) as http:
            async with asyncio.timeout(HANG):
                headers = await make_user(http, "alice")
                for writer in writers:  # one more byte each: they are alive, just slow
                    writer.write(b" ")
                    await writer.drain()
                assert (await http.get("/healthz")).status_code == 200
                assert (await http.get("/readyz")).status_code == 200
                saved = await http.post(
                    "/api/expenses/", headers=headers, json={"amount": 3, "category": "tea"}
                )
        assert saved.status_code == 201, saved.text
    finally:
        for writer in writers:
            writer.close()


async def test_on_a_real_server_a_body_that_never_ends_is_answered_408_and_closed():
    app, state = held_app()
    async with serving(FifoAdmission(app, limit=1, body_seconds=0.2)) as url:
        reader, writer = await trickler(url, "/api/expenses/")
        try:
            async with asyncio.timeout(HANG):
                answer = await reader.read()  # to the end: the server closes the connection
        finally:
            writer.close()
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"connection: close" in answer.lower()
    assert state["bodies"] == []


async def test_on_a_real_server_a_request_past_the_wait_is_503_with_retry_after():
    app, state = held_app()
    gate = FifoAdmission(app, limit=1, wait_seconds=0.2)
    async with serving(gate) as url, httpx.AsyncClient(base_url=url) as http:
        holding = asyncio.create_task(http.post("/held/", content=b"{}"))
        async with asyncio.timeout(HANG):
            await state["held"].wait()
            turned_away = await http.post("/api/expenses/", content=b"{}")
            probe = await http.get("/healthz")
        state["release"].set()
        held = await holding
    assert turned_away.status_code == 503
    assert turned_away.headers["retry-after"] == "1"
    assert turned_away.json() == {"detail": "busy: try again shortly"}
    assert probe.status_code == 200
    assert held.status_code == 200


# --- /metrics, never queued, is for this host or its token only (L9 of the review) ---


async def metrics_status(app: Any, client: tuple[str, int], **headers: str) -> int:
    transport = httpx.ASGITransport(app=app, client=client)
    async with httpx.AsyncClient(transport=transport, base_url="http://finbot.test") as http:
        return (await http.get("/metrics", headers=headers)).status_code


async def test_without_a_metrics_token_only_clients_on_this_host_read_metrics(app):
    assert await metrics_status(app, ("127.0.0.1", 5000)) == 200
    assert await metrics_status(app, ("::1", 5000)) == 200
    assert await metrics_status(app, ("203.0.113.5", 5000)) == 404


async def test_with_a_metrics_token_everyone_needs_it(settings):
    from finbot.processes import create_app

    app = create_app(settings.model_copy(update={"metrics_token": SecretStr("m-token")}))
    try:
        far, near = ("203.0.113.5", 5000), ("127.0.0.1", 5000)
        assert await metrics_status(app, far, Authorization="Bearer m-token") == 200
        assert await metrics_status(app, far, Authorization="bearer m-token") == 200
        assert await metrics_status(app, far, Authorization="Bearer wrong") == 404
        assert await metrics_status(app, far) == 404
        assert await metrics_status(app, near) == 404
    finally:
        await app.state.database.dispose()
