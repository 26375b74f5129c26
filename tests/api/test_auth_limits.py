"""Review L6: the account lockout cannot be turned against the account's owner, and
sign-ups and reset mails are throttled per client address and per account."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from core.auth import service as auth
from core.models import LoginFailure, PasswordReset
from core.models.base import utcnow
from finbot.processes import create_app
from tests.conftest import PASSWORD, clean_database, make_user
from tests.support.mail import SMTPServer

ATTACKER = "203.0.113.7"
ELSEWHERE = "198.51.100.2"


def client_from(app: object, address: str) -> httpx.AsyncClient:
    """A client of the app that connects from `address` (the default client is 127.0.0.1)."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://finbot.test")


@pytest.fixture
async def attacker(app: object) -> AsyncIterator[httpx.AsyncClient]:
    async with client_from(app, ATTACKER) as http:
        yield http


@pytest.fixture
async def elsewhere(app: object) -> AsyncIterator[httpx.AsyncClient]:
    async with client_from(app, ELSEWHERE) as http:
        yield http


async def login(client: httpx.AsyncClient, name: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/auth/login/", json={"username": name, "password": password})


async def lock_alice_from(client: httpx.AsyncClient) -> None:
    for n in range(auth.LOCKOUT_FAILURES):
        assert (await login(client, "alice", f"guess {n}")).status_code == 401
    assert (await login(client, "alice")).status_code == 429


async def age(app, prefix: str, by: timedelta) -> None:
    """Move the clock `by` for the rows of keys starting with `prefix`."""
    async with app.state.database.session() as session:
        query = select(LoginFailure).where(LoginFailure.key.startswith(prefix))
        for row in (await session.execute(query)).scalars():
            row.at -= by


# The lockout


async def test_guesses_from_elsewhere_do_not_lock_the_owner_out_where_they_log_in(
    client, alice, attacker, elsewhere
):
    # alice logged in from 127.0.0.1 (the fixture); someone else guesses her password.
    await lock_alice_from(attacker)
    locked = await login(attacker, "alice@example.org")
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    # Where alice logs in, she still can.
    assert (await login(client, "alice")).status_code == 200
    # An address that never logged into her account is locked out with the attacker.
    assert (await login(elsewhere, "alice")).status_code == 429


async def test_an_owners_address_still_has_its_own_limit(client, alice, elsewhere):
    for n in range(auth.LOCKOUT_FAILURES):
        assert (await login(client, "alice", f"guess {n}")).status_code == 401
    assert (await login(client, "alice")).status_code == 429
    # Parallel guesses from there cannot pass it either.
    answers = await asyncio.gather(*(login(client, "alice", f"more {n}") for n in range(6)))
    assert {a.status_code for a in answers} == {429}


async def test_guesses_from_a_shared_address_count_for_every_account(client, alice, attacker):
    # The per-address limit still applies to the owner's address as a whole.
    for n in range(auth.LOCKOUT_ADDRESS_FAILURES):
        assert (await login(client, f"someone{n}", "wrong")).status_code == 401
    assert (await login(client, "alice")).status_code == 429
    assert (await login(attacker, "alice")).status_code == 200  # (the attacker knew it)


async def test_an_address_is_known_for_thirty_days_after_its_last_login(
    app, client, alice, attacker
):
    async with app.state.database.session() as session:
        [mark] = (
            await session.execute(select(LoginFailure).where(LoginFailure.key.startswith("seen:")))
        ).scalars()
        # Written to count for 30 days from the login (core/models/users.py).
        expected = utcnow() + auth.KNOWN_ADDRESS_FOR - auth.LOCKOUT_WINDOW
        assert abs((mark.at - expected).total_seconds()) < 60
        mark.at = utcnow() - auth.LOCKOUT_WINDOW - timedelta(seconds=1)  # 30 days have passed
    await lock_alice_from(attacker)
    assert (await login(client, "alice")).status_code == 429


async def test_one_mark_per_address_however_often_it_logs_in(app, client, alice):
    for _ in range(3):
        assert (await login(client, "alice")).status_code == 200
    async with app.state.database.session() as session:
        marks = await session.scalar(
            select(func.count()).where(LoginFailure.key.startswith("seen:"))
        )
    assert marks == 1


async def test_a_password_reset_forgets_the_known_addresses(app, client, alice, attacker):
    async with app.state.database.session() as session:
        mail = await auth.request_reset(
            app.state.database, session, "alice@example.org", "127.0.0.1"
        )
    assert mail is not None
    confirm = {"token": mail.token, "new_password": "a brand new passphrase"}
    assert (await client.post("/api/auth/reset-password/confirm/", json=confirm)).status_code == 204
    # Whoever logged in before the reset (the thief, maybe) is no longer known.
    await lock_alice_from(attacker)
    assert (await login(client, "alice", "a brand new passphrase")).status_code == 429


async def test_a_login_name_cannot_forge_a_mark(client, alice, attacker):
    # Names are keyed "user:..."; typing a mark's key as a name makes no mark.
    assert (await login(attacker, "seen:1:203.0.113.7", "x")).status_code == 401
    await lock_alice_from(attacker)


# Sign-ups


def signup_body(n: int) -> dict[str, str]:
    return {"username": f"new{n}", "email": f"new{n}@example.org", "password": PASSWORD}


async def test_signups_per_address_are_limited_with_retry_after(app, client, attacker):
    for n in range(auth.SIGNUPS_PER_ADDRESS - 1):
        assert (await client.post("/api/auth/signup/", json=signup_body(n))).status_code == 201
    # A refused sign-up (taken name) counts too: it may have cost a hash.
    taken = await client.post("/api/auth/signup/", json=signup_body(0))
    assert taken.status_code == 409
    refused = await client.post("/api/auth/signup/", json=signup_body(99))
    assert refused.status_code == 429
    assert 15 * 60 < int(refused.headers["Retry-After"]) <= 60 * 60
    assert "sign-ups" in refused.json()["detail"]
    # Another address signs up as before; the refused one made no account.
    assert (await attacker.post("/api/auth/signup/", json=signup_body(99))).status_code == 201
    # An hour later the address may sign up again.
    await age(app, "signup:", timedelta(hours=1))
    assert (await client.post("/api/auth/signup/", json=signup_body(100))).status_code == 201


async def test_a_signup_refused_by_the_address_limit_hashes_nothing(app, client, monkeypatch):
    from core.auth import passwords

    for n in range(auth.SIGNUPS_PER_ADDRESS):
        assert (await client.post("/api/auth/signup/", json=signup_body(n))).status_code == 201
    hashed: list[str] = []

    def counted_hash(password: str) -> str:
        hashed.append(password)
        return "x"

    monkeypatch.setattr(passwords, "_hash", counted_hash)
    answers = await asyncio.gather(
        *(client.post("/api/auth/signup/", json=signup_body(50 + n)) for n in range(5))
    )
    assert {a.status_code for a in answers} == {429}
    assert hashed == []


# Reset mails


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    with SMTPServer() as server:
        yield server


@pytest.fixture
async def mail_app(settings, smtp) -> AsyncIterator[object]:
    app = create_app(settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port}))
    await clean_database(app.state.database)
    yield app
    await app.state.database.dispose()


async def reset(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await client.post("/api/auth/reset-password/", json={"email": email})


async def test_three_reset_mails_an_hour_per_account_and_the_answer_never_changes(mail_app, smtp):
    async with client_from(mail_app, "127.0.0.1") as one, client_from(mail_app, ATTACKER) as two:
        await make_user(one, "dora")
        answers = [await reset(one if n % 2 else two, "dora@example.org") for n in range(6)]
        unknown = await reset(two, "nobody@example.org")
    # The same 202 for the mails sent, the mails held back and an unknown address.
    for answer in [*answers, unknown]:
        assert (answer.status_code, answer.content) == (202, b"")
    await smtp.inbox.wait_for(auth.RESET_MAILS_PER_ACCOUNT)
    await asyncio.sleep(0.3)
    assert len(smtp.inbox.messages) == auth.RESET_MAILS_PER_ACCOUNT
    async with mail_app.state.database.session() as session:
        links = await session.scalar(select(func.count()).select_from(PasswordReset))
    assert links == auth.RESET_MAILS_PER_ACCOUNT


async def test_reset_requests_per_address_are_limited_with_retry_after(client, alice, attacker):
    for n in range(auth.RESETS_PER_ADDRESS):
        assert (await reset(attacker, f"someone{n}@example.org")).status_code == 202
    refused = await reset(attacker, "alice@example.org")
    assert refused.status_code == 429
    assert 15 * 60 < int(refused.headers["Retry-After"]) <= 60 * 60
    # Said whatever the e-mail: an unknown one is refused alike, so nothing leaks.
    assert (await reset(attacker, "nobody@example.org")).status_code == 429
    assert (await reset(client, "alice@example.org")).status_code == 202
