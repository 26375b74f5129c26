from datetime import timedelta

from sqlalchemy import update

from core.models import LoginFailure
from core.models.base import utcnow
from tests.conftest import PASSWORD, make_user


async def test_signup_answers_the_account_without_secrets(client):
    answer = await client.post(
        "/api/auth/signup/",
        json={"username": "Ana", "email": "Ana@Example.org", "password": PASSWORD},
    )
    assert answer.status_code == 201
    body = answer.json()
    assert body == {"id": body["id"], "username": "Ana", "email": "ana@example.org"}


async def test_duplicate_username_or_email_is_409(client, alice):
    same_name = await client.post(
        "/api/auth/signup/",
        json={"username": "ALICE", "email": "other@example.org", "password": PASSWORD},
    )
    assert same_name.status_code == 409
    same_mail = await client.post(
        "/api/auth/signup/",
        json={"username": "alice2", "email": "Alice@example.org", "password": PASSWORD},
    )
    assert same_mail.status_code == 409


async def test_signup_validation_names_the_field(client):
    short = await client.post(
        "/api/auth/signup/", json={"username": "ann", "email": "a@example.org", "password": "Zq7!x"}
    )
    assert short.status_code == 422
    assert short.json()["detail"][0]["field"] == "password"
    assert "Zq7!x" not in short.text  # the input is never echoed back
    bad_mail = await client.post(
        "/api/auth/signup/", json={"username": "ann", "email": "not-mail", "password": PASSWORD}
    )
    assert bad_mail.status_code == 422
    assert bad_mail.json()["detail"][0]["field"] == "email"


async def test_login_by_username_or_email(client, alice):
    by_name = await client.post(
        "/api/auth/login/", json={"username": "Alice", "password": PASSWORD}
    )
    by_mail = await client.post(
        "/api/auth/login/", json={"username": "alice@example.org", "password": PASSWORD}
    )
    assert by_name.status_code == by_mail.status_code == 200
    assert by_name.json()["token"] != by_mail.json()["token"]
    me = await client.get(
        "/api/auth/me/", headers={"Authorization": f"Bearer {by_mail.json()['token']}"}
    )
    assert me.json()["username"] == "alice"


async def test_wrong_password_is_401(client, alice):
    answer = await client.post(
        "/api/auth/login/", json={"username": "alice", "password": "nope!!!!"}
    )
    assert answer.status_code == 401
    assert "token" not in answer.json()


async def test_missing_unknown_and_malformed_tokens_are_401_with_bearer_challenge(client):
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic abc"}):
        answer = await client.get("/api/auth/me/", headers=headers)
        assert answer.status_code == 401, headers
        assert answer.headers["WWW-Authenticate"] == "Bearer"


async def test_logout_kills_only_that_token(client, alice):
    second = await client.post("/api/auth/login/", json={"username": "alice", "password": PASSWORD})
    other = {"Authorization": f"Bearer {second.json()['token']}"}
    assert (await client.post("/api/auth/logout/", headers=alice)).status_code == 204
    assert (await client.get("/api/auth/me/", headers=alice)).status_code == 401
    assert (await client.get("/api/auth/me/", headers=other)).status_code == 200


async def test_me_defaults_and_patch(client, alice):
    me = (await client.get("/api/auth/me/", headers=alice)).json()
    assert (me["timezone"], me["currency"]) == ("UTC", "EUR")
    patched = await client.patch(
        "/api/auth/me/", headers=alice, json={"timezone": "Asia/Tokyo", "currency": "jpy"}
    )
    assert patched.status_code == 200
    assert (patched.json()["timezone"], patched.json()["currency"]) == ("Asia/Tokyo", "JPY")
    assert (await client.get("/api/auth/me/", headers=alice)).json()["timezone"] == "Asia/Tokyo"


async def test_me_patch_rejects_unknown_timezone_currency_and_taken_email(client, alice, bob):
    for body, field in (
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"currency": "XYZ"}, "currency"),
        ({"email": "nope"}, "email"),
    ):
        answer = await client.patch("/api/auth/me/", headers=alice, json=body)
        assert answer.status_code == 422, body
        assert answer.json()["detail"][0]["field"] == field
    taken = await client.patch(
        "/api/auth/me/",
        headers=alice,
        json={"email": "BOB@example.org", "current_password": PASSWORD},
    )
    assert taken.status_code == 409
    me = (await client.get("/api/auth/me/", headers=alice)).json()
    assert (me["email"], me["timezone"], me["currency"]) == ("alice@example.org", "UTC", "EUR")


async def test_five_failures_lock_the_username_with_retry_after(client, app, alice):
    for _ in range(5):
        failed = await client.post(
            "/api/auth/login/", json={"username": "alice", "password": "wrong password"}
        )
        assert failed.status_code == 401
    # Even the right password, and even by e-mail, waits out the window.
    for login in ("alice", "alice@example.org"):
        locked = await client.post(
            "/api/auth/login/", json={"username": login, "password": PASSWORD}
        )
        assert locked.status_code == 429
        assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    # Another account is not affected.
    await make_user(client, "carol")
    # Once the window has passed, the right password works again.
    async with app.state.database.session() as session:
        await session.execute(update(LoginFailure).values(at=utcnow() - timedelta(minutes=16)))
    ok = await client.post("/api/auth/login/", json={"username": "alice", "password": PASSWORD})
    assert ok.status_code == 200


async def test_unknown_usernames_are_limited_too(client):
    for _ in range(5):
        answer = await client.post("/api/auth/login/", json={"username": "ghost", "password": "x"})
        assert answer.status_code == 401
    answer = await client.post("/api/auth/login/", json={"username": "ghost", "password": "x"})
    assert answer.status_code == 429


async def test_password_is_stored_as_argon2id(app, alice):
    from sqlalchemy import select

    from core.models import AuthToken, User

    async with app.state.database.session() as session:
        user = (await session.execute(select(User))).scalar_one()
        stored_tokens = (await session.execute(select(AuthToken.token_hash))).scalars().all()
    assert user.password_hash.startswith("$argon2id$")
    token = alice["Authorization"].removeprefix("Bearer ")
    assert token not in stored_tokens  # only its digest is kept
