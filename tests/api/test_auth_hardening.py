"""Issue 13, auth: timing of unknown names, atomic lockout, bounded argon2, e-mail
changes need the password, the tg<digits> names are the bot's."""

import asyncio
import threading

import pytest

from core.auth import passwords
from tests.conftest import PASSWORD, make_user


async def login(client, username: str, password: str):
    return await client.post("/api/auth/login/", json={"username": username, "password": password})


async def test_an_unknown_name_costs_one_argon2_verification_like_a_known_one(
    client, alice, monkeypatch
):
    checked: list[str] = []
    real_verify = passwords._verify

    def counting_verify(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return real_verify(password_hash, password)

    monkeypatch.setattr(passwords, "_verify", counting_verify)
    assert (await login(client, "alice", "wrong password")).status_code == 401
    assert (await login(client, "nobody-here", "wrong password")).status_code == 401
    assert len(checked) == 2
    assert checked[1] == passwords._DUMMY_HASH


async def test_parallel_guesses_cannot_pass_the_lockout(client, alice):
    answers = await asyncio.gather(*(login(client, "alice", f"guess {n}") for n in range(12)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [401] * 5 + [429] * 7, codes
    assert (await login(client, "alice", PASSWORD)).status_code == 429


async def test_twenty_failures_from_one_address_lock_it_for_every_name(client, alice):
    for n in range(20):
        assert (await login(client, f"someone{n}", "wrong password")).status_code == 401
    locked = await login(client, "alice", PASSWORD)
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60


async def test_a_login_name_cannot_count_against_an_address(client, alice):
    # "addr:..." typed as a name is a name; it never locks the address.
    for _ in range(6):
        await login(client, "addr:127.0.0.1", "wrong password")
    assert (await login(client, "alice", PASSWORD)).status_code == 200


async def test_successful_logins_do_not_count_towards_the_address_limit(client, alice):
    for _ in range(21):
        assert (await login(client, "alice", PASSWORD)).status_code == 200


async def test_argon2_runs_at_most_hash_concurrency_at_once(monkeypatch):
    running = 0
    peak = 0
    lock = threading.Lock()
    real_hash = passwords._hash

    def watched_hash(password: str) -> str:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            return real_hash(password)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(passwords, "_hash", watched_hash)
    count = passwords.HASH_CONCURRENCY * 3
    hashes = await asyncio.gather(*(passwords.hash_password(f"pw {n}") for n in range(count)))
    assert len(set(hashes)) == count
    assert peak <= passwords.HASH_CONCURRENCY


async def test_too_many_waiting_hashes_answer_429(client, monkeypatch):
    monkeypatch.setattr(passwords, "_in_flight", passwords.HASH_CONCURRENCY + 64)
    answer = await client.post(
        "/api/auth/signup/",
        json={"username": "busy", "email": "busy@example.org", "password": PASSWORD},
    )
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "1"


async def test_changing_the_email_needs_the_current_password(client, alice):
    for body, message in (
        ({"email": "new@example.org"}, "needed"),
        ({"email": "new@example.org", "current_password": "wrong password"}, "wrong"),
    ):
        refused = await client.patch("/api/auth/me/", headers=alice, json=body)
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["field"] == "current_password"
        assert message in refused.json()["message"]
    assert (await client.get("/api/auth/me/", headers=alice)).json()["email"] == "alice@example.org"
    changed = await client.patch(
        "/api/auth/me/",
        headers=alice,
        json={"email": "new@example.org", "current_password": PASSWORD},
    )
    assert changed.status_code == 200 and changed.json()["email"] == "new@example.org"
    # Other fields still need no password.
    assert (
        await client.patch("/api/auth/me/", headers=alice, json={"timezone": "Europe/Lisbon"})
    ).status_code == 200


@pytest.mark.parametrize("name", ["tg12345", "TG1", "tgn100123", "Tgn5x"])
async def test_the_bots_usernames_cannot_be_taken_over_rest(client, name):
    answer = await client.post(
        "/api/auth/signup/",
        json={"username": name, "email": f"{name}@example.org", "password": PASSWORD},
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["field"] == "username"


async def test_names_that_merely_start_with_tg_are_fine(client):
    await make_user(client, "tgif")
    await make_user(client, "tg_fan")
