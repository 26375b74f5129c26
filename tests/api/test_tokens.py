"""Tokens expire FINBOT_TOKEN_TTL_DAYS after their last use; death is seen at once everywhere."""

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from core.auth.service import confirm_reset, request_reset, token_alive
from core.models import AuthToken, PasswordReset
from core.models.base import utcnow
from finbot.processes import create_app
from tests.conftest import PASSWORD, make_user
from tests.support.process import ServeProcess, clean_environment


async def set_last_use(app, ago: timedelta) -> None:
    """Move the clock: every token was last used `ago`."""
    async with app.state.database.session() as session:
        await session.execute(update(AuthToken).values(last_used_at=utcnow() - ago))


async def last_uses(app) -> list:
    async with app.state.database.session() as session:
        return list((await session.execute(select(AuthToken.last_used_at))).scalars())


async def test_token_unused_for_longer_than_the_ttl_is_refused(client, app, alice):
    await set_last_use(app, timedelta(days=29, hours=23))
    assert (await client.get("/api/auth/me/", headers=alice)).status_code == 200
    await set_last_use(app, timedelta(days=30, minutes=1))
    answer = await client.get("/api/auth/me/", headers=alice)
    assert answer.status_code == 401


async def test_use_pushes_expiry_back(client, app, alice):
    await set_last_use(app, timedelta(days=29))
    assert (await client.get("/api/expenses/", headers=alice)).status_code == 200
    [used] = await last_uses(app)
    assert utcnow() - used < timedelta(seconds=30)
    await set_last_use(app, timedelta(days=29))  # would be 30 days unused tomorrow, but...
    assert (await client.get("/api/expenses/", headers=alice)).status_code == 200
    assert (await client.get("/api/auth/me/", headers=alice)).status_code == 200


async def test_last_use_is_written_at_most_about_once_a_minute(client, app, alice):
    await set_last_use(app, timedelta(seconds=20))
    [before] = await last_uses(app)
    for _ in range(3):
        assert (await client.get("/api/expenses/", headers=alice)).status_code == 200
    assert await last_uses(app) == [before]  # reads stayed reads


async def test_fractional_ttl_days(settings, alice, app):
    half_day = create_app(settings.model_copy(update={"token_ttl_days": 0.5}))
    transport = httpx.ASGITransport(app=half_day)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://finbot.test") as http:
            await set_last_use(app, timedelta(hours=11))
            assert (await http.get("/api/auth/me/", headers=alice)).status_code == 200
            await set_last_use(app, timedelta(hours=13))
            assert (await http.get("/api/auth/me/", headers=alice)).status_code == 401
    finally:
        await half_day.state.database.dispose()


async def set_created(app, ago: timedelta) -> None:
    """Every token was made (by a login) `ago`, and used just now."""
    async with app.state.database.session() as session:
        await session.execute(
            update(AuthToken).values(created_at=utcnow() - ago, last_used_at=utcnow())
        )


async def test_a_token_used_every_day_still_dies_three_ttls_after_login(client, app, alice):
    # Review L5: sliding expiry alone let a stolen token live for ever.
    await set_created(app, timedelta(days=89, hours=23))
    assert (await client.get("/api/auth/me/", headers=alice)).status_code == 200
    await set_created(app, timedelta(days=90, minutes=1))
    answer = await client.get("/api/auth/me/", headers=alice)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    token = alice["Authorization"].removeprefix("Bearer ")
    async with app.state.database.session() as session:
        assert not await token_alive(session, token, timedelta(days=30))  # sockets close too
    # Logging in again gives a token with a lifetime of its own.
    login = {"username": "alice", "password": PASSWORD}
    fresh = (await client.post("/api/auth/login/", json=login)).json()["token"]
    headers = {"Authorization": f"Bearer {fresh}"}
    assert (await client.get("/api/auth/me/", headers=headers)).status_code == 200


async def test_the_lifetime_follows_the_ttl(settings, alice, app):
    half_day = create_app(settings.model_copy(update={"token_ttl_days": 0.5}))
    transport = httpx.ASGITransport(app=half_day)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://finbot.test") as http:
            await set_created(app, timedelta(hours=35))
            assert (await http.get("/api/auth/me/", headers=alice)).status_code == 200
            await set_created(app, timedelta(hours=37))
            assert (await http.get("/api/auth/me/", headers=alice)).status_code == 401
    finally:
        await half_day.state.database.dispose()


async def test_a_new_email_ends_other_sessions_and_unused_reset_links(client, app, alice):
    login = {"username": "alice", "password": PASSWORD}
    second = (await client.post("/api/auth/login/", json=login)).json()["token"]
    other = {"Authorization": f"Bearer {second}"}
    async with app.state.database.session() as session:
        mail = await request_reset(app.state.database, session, "alice@example.org", "127.0.0.1")
    assert mail is not None
    # Changing anything else ends nothing.
    patched = await client.patch("/api/auth/me/", headers=alice, json={"timezone": "Europe/Rome"})
    assert patched.status_code == 200
    assert (await client.get("/api/auth/me/", headers=other)).status_code == 200
    # The same address again (any case) is no change either.
    same = {"email": "Alice@Example.org", "current_password": PASSWORD}
    assert (await client.patch("/api/auth/me/", headers=alice, json=same)).status_code == 200
    assert (await client.get("/api/auth/me/", headers=other)).status_code == 200

    changed = {"email": "alice@new.example.org", "current_password": PASSWORD}
    assert (await client.patch("/api/auth/me/", headers=alice, json=changed)).status_code == 200
    assert (await client.get("/api/auth/me/", headers=alice)).status_code == 200  # this one goes on
    assert (await client.get("/api/auth/me/", headers=other)).status_code == 401
    confirm = {"token": mail.token, "new_password": "another long password"}
    refused = await client.post("/api/auth/reset-password/confirm/", json=confirm)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "token"
    async with app.state.database.session() as session:
        resets = list((await session.execute(select(PasswordReset.used_at))).scalars())
    assert resets and all(used is not None for used in resets)


def test_ttl_comes_from_the_environment(monkeypatch):
    from core.config import Settings

    monkeypatch.setenv("FINBOT_TOKEN_TTL_DAYS", "0.25")
    assert Settings(_env_file=None).token_ttl_days == 0.25
    assert Settings(_env_file=None, token_ttl_days=30).token_ttl_days == 30


@pytest.fixture
def other_process(database_url: str, tmp_path: Path) -> Iterator[ServeProcess]:
    """`finbot serve` in a process of its own, on this test's database."""
    env = clean_environment(
        FINBOT_DATABASE_URL=database_url, FINBOT_STORAGE_DIR=str(tmp_path / "data")
    )
    with ServeProcess(tmp_path / "serve", "--no-bot", "--no-scheduler", env=env) as server:
        yield server


async def test_logout_here_is_refused_at_once_by_another_process(client, alice, other_process):
    async with httpx.AsyncClient(base_url=other_process.url, timeout=10) as there:
        assert (await there.get("/api/expenses/", headers=alice)).status_code == 200
        assert (await client.post("/api/auth/logout/", headers=alice)).status_code == 204
        assert (await there.get("/api/expenses/", headers=alice)).status_code == 401
        posted = await there.post(
            "/api/expenses/", headers=alice, json={"category": "food", "amount": "1"}
        )
        assert posted.status_code == 401


def ws_url(server: ServeProcess, headers: dict[str, str]) -> str:
    token = headers["Authorization"].removeprefix("Bearer ")
    return server.url.replace("http://", "ws://") + f"/api/notifications/ws?token={token}"


async def closed_with(socket_) -> int | None:
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(socket_.recv(), timeout=8)
    return closed.value.rcvd.code if closed.value.rcvd else None


async def test_websocket_closes_4401_after_logout(client, alice, other_process):
    async with connect(ws_url(other_process, alice)) as socket_:
        await asyncio.sleep(0.3)
        assert (await client.post("/api/auth/logout/", headers=alice)).status_code == 204
        assert await closed_with(socket_) == 4401


async def test_websocket_closes_4401_when_the_token_expires_or_password_is_reset(
    client, app, alice, other_process
):
    bob = await make_user(client, "bob")
    async with (
        connect(ws_url(other_process, alice)) as alice_socket,
        connect(ws_url(other_process, bob)) as bob_socket,
    ):
        await asyncio.sleep(0.3)
        async with app.state.database.session() as session:
            await session.execute(
                update(AuthToken)
                .where(
                    AuthToken.user_id
                    == (await client.get("/api/auth/me/", headers=alice)).json()["id"]
                )
                .values(last_used_at=utcnow() - timedelta(days=31))
            )
        assert await closed_with(alice_socket) == 4401
        # Bob's socket is untouched until his password is reset.
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(bob_socket.recv(), timeout=0.5)
        async with app.state.database.session() as session:
            mail = await request_reset(app.state.database, session, "bob@example.org", "127.0.0.1")
        assert mail is not None
        async with app.state.database.session() as session:
            await confirm_reset(session, mail.token, PASSWORD + " new")
        assert await closed_with(bob_socket) == 4401
