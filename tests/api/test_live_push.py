"""Live push over WebSockets, across two real `finbot serve` processes and Redis."""

import asyncio
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import PASSWORD
from tests.support.alerts import is_pace, without_pace
from tests.support.process import ServeProcess, clean_environment

REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_is_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def require_redis() -> None:
    """In CI a missing Redis fails the run; on a laptop without one, the tests skip."""
    if redis_is_up():
        return
    message = "needs a Redis server on 127.0.0.1:6379 (none answers here)"
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"CI: {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def two_servers(empty_database: str, tmp_path: Path) -> Iterator[tuple[ServeProcess, ServeProcess]]:
    require_redis()
    env = clean_environment(
        FINBOT_DATABASE_URL=empty_database,
        FINBOT_REDIS_URL=REDIS_URL,
        FINBOT_STORAGE_DIR=str(tmp_path / "data"),
    )
    with ServeProcess(tmp_path / "a", env=env) as a, ServeProcess(tmp_path / "b", env=env) as b:
        yield a, b


async def login(http: httpx.AsyncClient, name: str) -> str:
    answer = await http.post(
        "/api/auth/signup/",
        json={"username": name, "email": f"{name}@example.org", "password": PASSWORD},
    )
    assert answer.status_code == 201, answer.text
    return str(
        (await http.post("/api/auth/login/", json={"username": name, "password": PASSWORD})).json()[
            "token"
        ]
    )


def ws_url(server: ServeProcess, token: str | None) -> str:
    base = server.url.replace("http://", "ws://") + "/api/notifications/ws"
    return base if token is None else f"{base}?token={token}"


async def heard(ws: Any, kind: str, within: float = 3) -> dict[str, Any]:
    """The next pushed object of that kind (earlier probes, and pace alerts: see
    tests.support.alerts, are passed over)."""
    async with asyncio.timeout(within):
        while True:
            pushed: dict[str, Any] = json.loads(await ws.recv())
            if pushed["kind"] == kind and not is_pace(pushed["message"]):
                return pushed


async def until_listening(http: httpx.AsyncClient, token: str, ws: Any) -> None:
    """Wait for the signal that `ws` is subscribed: a probe push (a reached goal) arrives.

    A fixed sleep loses under load; each round makes one more probe, so the wait
    ends as soon as the socket hears anything, however long that takes.
    """
    headers = {"Authorization": f"Bearer {token}"}
    for attempt in range(40):
        await http.post(
            "/api/goals/",
            headers=headers,
            json={"target_amount": 1, "saved_amount": 1, "deadline": "2030-01-01",
                  "description": f"probe {attempt}"},
        )  # fmt: skip
        try:
            await heard(ws, "goal", within=0.5)
            return
        except TimeoutError:
            continue
    raise AssertionError("the socket never heard a push")


async def close_code(url: str) -> int | None:
    async with connect(url) as socket_:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket_.recv(), timeout=5)
    return closed.value.rcvd.code if closed.value.rcvd else None


async def test_a_push_made_in_process_a_reaches_a_socket_on_process_b(two_servers):
    a, b = two_servers
    async with httpx.AsyncClient(base_url=a.url, timeout=10) as http:
        alice = await login(http, "alice")
        bob = await login(http, "bob")
        headers = {"Authorization": f"Bearer {alice}"}
        await http.post(
            "/api/budgets/",
            headers=headers,
            json={"category": "food", "limit": 10, "period": "monthly"},
        )
        async with connect(ws_url(b, alice)) as alice_ws, connect(ws_url(b, bob)) as bob_ws:
            await until_listening(http, alice, alice_ws)
            await until_listening(http, bob, bob_ws)
            posted = await http.post(
                "/api/expenses/", headers=headers, json={"category": "food", "amount": "8.50"}
            )
            assert posted.status_code == 201
            pushed = await heard(alice_ws, "budget")
            assert pushed["message"] == "food: 8.50 of 10.00 EUR spent this month (85 %)"
            listed = (await http.get("/api/notifications/", headers=headers)).json()
            assert without_pace(listed)[0] == pushed
            with pytest.raises(TimeoutError):
                await heard(bob_ws, "budget", within=0.5)
    # Tokens never reach the logs, though they travel in the WebSocket's query string.
    assert alice not in b.log() and alice not in a.log()


async def test_bad_missing_and_revoked_tokens_are_refused_with_4401(two_servers):
    a, b = two_servers
    assert await close_code(ws_url(b, None)) == 4401
    assert await close_code(ws_url(b, "not-a-token")) == 4401
    async with httpx.AsyncClient(base_url=a.url, timeout=10) as http:
        token = await login(http, "carol")
        assert (
            await http.post("/api/auth/logout/", headers={"Authorization": f"Bearer {token}"})
        ).status_code == 204
    assert await close_code(ws_url(b, token)) == 4401


async def test_a_subscriber_carries_on_after_its_redis_connection_drops(two_servers):
    from redis.asyncio import Redis

    a, b = two_servers
    async with httpx.AsyncClient(base_url=a.url, timeout=10) as http:
        token = await login(http, "dave")
        headers = {"Authorization": f"Bearer {token}"}
        async with connect(ws_url(b, token)) as ws:
            redis = Redis.from_url(REDIS_URL)
            killed = await redis.client_kill_filter(_type="pubsub")
            await redis.aclose()
            assert killed >= 2  # A's and B's subscriptions
            pushed = None
            for attempt in range(20):  # the listener backs off, then resubscribes
                await asyncio.sleep(0.5)
                await http.post(
                    "/api/goals/",
                    headers=headers,
                    json={
                        "target_amount": 1,
                        "saved_amount": 1,
                        "deadline": "2030-01-01",
                        "description": f"g{attempt}",
                    },
                )
                try:
                    pushed = json.loads(await asyncio.wait_for(ws.recv(), timeout=0.5))
                    break
                except TimeoutError:
                    continue
            assert pushed is not None and pushed["kind"] == "goal"


def test_without_redis_ci_fails_instead_of_skipping(monkeypatch):
    import tests.api.test_live_push as module

    monkeypatch.setattr(module, "redis_is_up", lambda: False)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        require_redis()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        require_redis()
