"""Token checks stay uncached: a token revoked in one process is refused by another
on its very next request, and a changed profile is saved (the user is loaded from
plain columns and put in the session as if the ORM had loaded it)."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import PASSWORD
from tests.support.process import ServeProcess, clean_environment


@pytest.fixture
def two_servers(empty_database: str, tmp_path: Path) -> Iterator[tuple[ServeProcess, ServeProcess]]:
    env = clean_environment(
        FINBOT_DATABASE_URL=empty_database, FINBOT_STORAGE_DIR=str(tmp_path / "data")
    )
    with ServeProcess(tmp_path / "a", env=env) as a, ServeProcess(tmp_path / "b", env=env) as b:
        yield a, b


async def test_a_token_revoked_in_one_process_is_refused_by_another_at_once(two_servers):
    first, second = two_servers
    async with (
        httpx.AsyncClient(base_url=first.url) as a,
        httpx.AsyncClient(base_url=second.url) as b,
    ):
        signup = {"username": "rita", "email": "rita@example.org", "password": PASSWORD}
        assert (await a.post("/api/auth/signup/", json=signup)).status_code == 201
        login = {"username": "rita", "password": PASSWORD}
        token = (await a.post("/api/auth/login/", json=login)).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        # Used in the second process first, so anything it might cache is warm.
        assert (await b.get("/api/expenses/", headers=headers)).status_code == 200
        assert (await a.post("/api/auth/logout/", headers=headers)).status_code == 204
        assert (await b.get("/api/expenses/", headers=headers)).status_code == 401
        assert (await b.post("/api/expenses/", headers=headers, json={})).status_code == 401


async def test_a_profile_change_on_the_token_user_is_saved(client, alice):
    answer = await client.patch("/api/auth/me/", headers=alice, json={"timezone": "Asia/Tokyo"})
    assert answer.status_code == 200, answer.text
    assert (await client.get("/api/auth/me/", headers=alice)).json()["timezone"] == "Asia/Tokyo"
