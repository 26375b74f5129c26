import io
import logging
import re
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from core.logs import production_handler
from core.models import PasswordReset
from core.models.base import utcnow
from finbot.processes import create_app
from tests.conftest import PASSWORD, clean_database, make_user
from tests.support.mail import SMTPServer

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    with SMTPServer() as server:
        yield server


@pytest.fixture
async def mail_client(settings, smtp):
    settings = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port})
    app = create_app(settings)
    await clean_database(app.state.database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://finbot.test") as http:
        yield http, app
    await app.state.database.dispose()


def reset_token_from(message) -> str:
    body = message.get_payload(decode=True).decode()
    match = re.search(r"http://finbot\.test/reset-password\?token=([A-Za-z0-9_\-]+)", body)
    assert match, body
    return match.group(1)


async def test_reset_link_by_mail_sets_a_new_password_once(mail_client, smtp):
    client, _ = mail_client
    old_headers = await make_user(client, "dora")

    asked = await client.post("/api/auth/reset-password/", json={"email": "DORA@example.org"})
    assert asked.status_code == 202
    [message] = await smtp.inbox.wait_for(1)
    assert message["To"] == "dora@example.org"
    token = reset_token_from(message)

    confirmed = await client.post(
        "/api/auth/reset-password/confirm/", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert confirmed.status_code == 204
    # Every old session is revoked, the old password is dead, the new one works.
    assert (await client.get("/api/auth/me/", headers=old_headers)).status_code == 401
    old = await client.post("/api/auth/login/", json={"username": "dora", "password": PASSWORD})
    assert old.status_code == 401
    new = await client.post("/api/auth/login/", json={"username": "dora", "password": NEW_PASSWORD})
    assert new.status_code == 200
    # The link works once.
    again = await client.post(
        "/api/auth/reset-password/confirm/",
        json={"token": token, "new_password": "yet another one"},
    )
    assert again.status_code == 422
    assert again.json()["detail"][0]["field"] == "token"


async def test_unknown_email_answers_the_same_and_sends_nothing(mail_client, smtp):
    client, _ = mail_client
    answer = await client.post("/api/auth/reset-password/", json={"email": "nobody@example.org"})
    assert answer.status_code == 202
    assert answer.content == b""
    await make_user(client, "erin")
    await client.post("/api/auth/reset-password/", json={"email": "erin@example.org"})
    messages = await smtp.inbox.wait_for(1)
    assert [m["To"] for m in messages] == ["erin@example.org"]


async def test_expired_link_is_refused(mail_client, smtp):
    client, app = mail_client
    await make_user(client, "fay")
    await client.post("/api/auth/reset-password/", json={"email": "fay@example.org"})
    token = reset_token_from((await smtp.inbox.wait_for(1))[0])
    async with app.state.database.session() as session:
        await session.execute(
            update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    answer = await client.post(
        "/api/auth/reset-password/confirm/", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert answer.status_code == 422
    still = await client.post("/api/auth/login/", json={"username": "fay", "password": PASSWORD})
    assert still.status_code == 200


async def test_forged_token_and_weak_password_are_refused(client, alice):
    forged = await client.post(
        "/api/auth/reset-password/confirm/", json={"token": "made-up", "new_password": NEW_PASSWORD}
    )
    assert forged.status_code == 422
    weak = await client.post(
        "/api/auth/reset-password/confirm/", json={"token": "made-up", "new_password": "short"}
    )
    assert weak.status_code == 422
    assert weak.json()["detail"][0]["field"] == "new_password"


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_without_smtp_the_mail_goes_to_the_log_with_the_token_redacted(
    client, alice, app, log_format
):
    """Through the handler production logs with (caplog would bypass its redaction)."""
    output = io.StringIO()
    handler = production_handler(output, log_format)
    logger = logging.getLogger("finbot.mail")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        answer = await client.post("/api/auth/reset-password/", json={"email": "alice@example.org"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert answer.status_code == 202
    logged = output.getvalue()
    assert "alice@example.org" in logged and "reset-password?token=[redacted]" in logged
    async with app.state.database.session() as session:
        assert (await session.execute(select(PasswordReset))).scalars().all()  # one was made
    assert len(logged.splitlines()) == 1  # the body's lines cannot pose as log lines
    assert re.search(r"token=(?!\[redacted\])", logged) is None


def test_the_test_smtp_server_survives_a_port_taken_under_it(monkeypatch):
    import socket

    import tests.support.mail as mail

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        offered = iter([busy])
        real_free_port = mail.free_port
        monkeypatch.setattr(mail, "free_port", lambda: next(offered, None) or real_free_port())
        with SMTPServer() as server:
            assert server.port != busy
