"""Budget and goal alerts: made once per threshold and period, listed, read."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from core.auth import service as auth
from core.config import Settings
from core.periods import local_today, period_range
from tests.api.test_admission import serving
from tests.api.test_live_push import until_listening
from tests.conftest import PASSWORD, clean_database, make_user
from tests.support.alerts import is_pace, without_pace


async def spend(client, headers, amount, category="groceries", day=None):
    body = {"category": category, "amount": amount}
    if day is not None:
        body["date"] = day.isoformat()
    answer = await client.post("/api/expenses/", headers=headers, json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def notes(client, headers, query=""):
    """The notifications but pace alerts (tests.support.alerts says why)."""
    answer = await client.get(f"/api/notifications/{query}", headers=headers)
    assert answer.status_code == 200
    return without_pace(answer.json())


async def budget(client, headers, limit=500, period="monthly", category="Groceries"):
    answer = await client.post(
        "/api/budgets/",
        headers=headers,
        json={"category": category, "limit": limit, "period": period},
    )
    assert answer.status_code == 201
    return answer.json()


async def test_thresholds_fire_once_each_with_a_human_message(client, alice):
    await budget(client, alice)
    await spend(client, alice, "300")
    assert await notes(client, alice) == []
    await spend(client, alice, "112.50")  # 412.50 of 500: 82 %
    [first] = await notes(client, alice)
    assert first["message"] == "Groceries: 412.50 of 500.00 EUR spent this month (82 %)"
    assert first["kind"] == "budget" and first["read"] is False
    assert first["timestamp"].endswith("Z") and len(first["timestamp"]) == 20
    await spend(client, alice, "10")  # still between 80 and 100: nothing new
    assert len(await notes(client, alice)) == 1
    await spend(client, alice, "100")  # 522.50: 104 %
    listed = await notes(client, alice)
    assert [n["message"] for n in listed] == [
        "Groceries: 522.50 of 500.00 EUR spent this month (104 %)",
        first["message"],
    ]
    await spend(client, alice, "100")
    assert len(await notes(client, alice)) == 2


async def test_editing_under_80_and_over_again_does_not_fire_twice(client, alice):
    await budget(client, alice, limit=100)
    expense = await spend(client, alice, "85")
    assert len(await notes(client, alice)) == 1
    url = f"/api/expenses/{expense['id']}/"
    await client.patch(url, headers=alice, json={"amount": "10"})
    await client.patch(url, headers=alice, json={"amount": "90"})
    assert len(await notes(client, alice)) == 1


async def test_a_new_period_fires_again(client, alice):
    await budget(client, alice, limit=10, period="daily")
    today = local_today("UTC")
    await spend(client, alice, "9", day=today)
    assert len(await notes(client, alice)) == 1
    # Yesterday's period is not the current one: expenses there never alert.
    await spend(client, alice, "9", day=today - timedelta(days=1))
    assert len(await notes(client, alice)) == 1
    # Alert keys are per period: the same budget, another day, is another key.
    from core.budgets.alerts import alert_key

    start, _ = period_range("daily", today)
    assert alert_key(1, start, 80) != alert_key(1, start + timedelta(days=1), 80)


async def test_a_budget_created_under_existing_spending_alerts(client, alice):
    await spend(client, alice, "95")
    await budget(client, alice, limit=100)
    [alert] = await notes(client, alice)
    assert "(95 %)" in alert["message"]


async def test_crossing_both_thresholds_at_once_makes_both(client, alice):
    await budget(client, alice, limit=100)
    await spend(client, alice, "150")
    assert len(await notes(client, alice)) == 2


async def test_another_users_expenses_never_count(client, alice, bob):
    await budget(client, alice, limit=100)
    await spend(client, bob, "500")
    assert await notes(client, alice) == []
    assert await notes(client, bob) == []


async def test_goal_reached_notifies_once(client, alice):
    goal = (
        await client.post(
            "/api/goals/",
            headers=alice,
            json={"target_amount": 100, "description": "bike", "deadline": "2030-01-01"},
        )
    ).json()
    url = f"/api/goals/{goal['id']}/"
    await client.patch(url, headers=alice, json={"saved_amount": 60})
    assert await notes(client, alice) == []
    await client.patch(url, headers=alice, json={"saved_amount": 100})
    await client.patch(url, headers=alice, json={"saved_amount": 120})
    [note] = await notes(client, alice)
    assert note["kind"] == "goal"
    assert note["message"] == "Goal reached: bike: 100.00 of 100.00 EUR saved"


async def test_unread_filter_read_one_and_read_all(client, alice, bob):
    await budget(client, alice, limit=100)
    await spend(client, alice, "150")
    first, second = await notes(client, alice)
    assert (
        await client.post(f"/api/notifications/{first['id']}/read/", headers=bob)
    ).status_code == 404
    read = await client.post(f"/api/notifications/{first['id']}/read/", headers=alice)
    assert read.status_code == 200 and read.json()["read"] is True
    unread = await client.get("/api/notifications/?unread=true", headers=alice)
    assert [n["id"] for n in unread.json()] == [second["id"]]
    assert unread.headers["X-Total-Count"] == "1"
    assert (await client.post("/api/notifications/read-all/", headers=alice)).json() == {
        "updated": 1
    }
    assert await notes(client, alice, "?unread=true") == []


async def test_rolled_back_work_makes_no_notification(app, alice):
    """A notification made in a transaction that fails is neither stored nor pushed."""
    from core.models import User
    from core.notifications.service import notify

    pushed: list[object] = []
    bus = app.state.bus
    async with bus.subscribe(1) as queue:
        try:
            async with app.state.database.session() as session:
                user = await session.get(User, 1)
                await notify(session, user.id, "test", "ghost", "ghost-key")
                raise RuntimeError("the request failed after the notification")
        except RuntimeError:
            pass
        await asyncio.sleep(0.05)
        while not queue.empty():
            pushed.append(queue.get_nowait())
    assert pushed == []
    async with app.state.database.session() as session:
        assert await notify(session, 1, "test", "real", "ghost-key") is not None


async def test_committed_notifications_reach_subscribers_of_that_user_only(app, alice, bob):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://finbot.test") as client:
        me = (await client.get("/api/auth/me/", headers=alice)).json()
        async with (
            app.state.bus.subscribe(me["id"]) as mine,
            app.state.bus.subscribe(me["id"] + 1) as other,
        ):
            await budget(client, alice, limit=10)
            await spend(client, alice, "9")
            pushed = await asyncio.wait_for(mine.get(), timeout=1)
            if is_pace(pushed.message):  # the pace alert may come first (see notes)
                pushed = await asyncio.wait_for(mine.get(), timeout=1)
            assert pushed.message.startswith("Groceries: 9.00 of 10.00 EUR")
            assert other.empty()
            listed = await notes(client, alice)
            assert listed[0] == pushed.model_dump(mode="json")


async def test_100_concurrent_expenses_crossing_100_percent_make_one_alert(app, alice):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://finbot.test") as client:
        await budget(client, alice, limit="99.50")

        async def post(n: int) -> int:
            answer = await client.post(
                "/api/expenses/", headers=alice, json={"category": "groceries", "amount": 1}
            )
            return answer.status_code

        assert await asyncio.gather(*(post(n) for n in range(100))) == [201] * 100
        messages = [n["message"] for n in await notes(client, alice)]
        # The 80th expense crosses 80 % (80.40 %), the 100th crosses 100 %.
        assert sorted(messages) == [
            "Groceries: 100.00 of 99.50 EUR spent this month (100 %)",
            "Groceries: 80.00 of 99.50 EUR spent this month (80 %)",
        ]


# --- WebSockets: a cap per user, one token check for all (M7 of the 2026-12 review) ---


@pytest.fixture
async def served(settings: Settings) -> AsyncIterator[tuple[Any, str]]:
    """finbot's app (no scheduler) under uvicorn in this loop: the app and its ws:// base."""
    from finbot.processes import create_app

    app = create_app(settings.model_copy(update={"run_scheduler": False}))
    await clean_database(app.state.database, keep_reference=True)
    try:
        async with serving(app) as url:
            yield app, url.replace("http://", "ws://")
    finally:
        await app.state.database.dispose()


async def token_of(http: httpx.AsyncClient, name: str) -> str:
    headers = await make_user(http, name)
    return headers["Authorization"].removeprefix("Bearer ")


async def another_token(http: httpx.AsyncClient, name: str) -> str:
    login = await http.post("/api/auth/login/", json={"username": name, "password": PASSWORD})
    return str(login.json()["token"])


def listening(url: str) -> Any:
    # Pushes it never reads must not stall the client's reading (websockets pauses at
    # 16 unread), or its close waits for the server's reply for 10 s.
    return connect(url, max_queue=None)


async def closed_with(socket_: Any) -> int | None:
    with pytest.raises(ConnectionClosed) as closed:
        async with asyncio.timeout(30):  # a hang guard, not a measure
            await socket_.recv()
    return closed.value.rcvd.code if closed.value.rcvd else None


async def test_a_user_holds_at_most_20_sockets_the_21st_is_closed_with_1008(served):
    _, ws = served
    async with (
        httpx.AsyncClient(base_url=ws.replace("ws://", "http://")) as http,
        contextlib.AsyncExitStack() as stack,
    ):
        alice, bob = await token_of(http, "alice"), await token_of(http, "bob")
        url = f"{ws}/api/notifications/ws?token="
        sockets = [await stack.enter_async_context(listening(url + alice)) for _ in range(20)]
        extra = await stack.enter_async_context(listening(url + alice))
        assert await closed_with(extra) == 1008
        # The 20 are open and hear their pushes; another user is not counted with them.
        for socket_ in sockets:
            await until_listening(http, alice, socket_)
        bobs = await stack.enter_async_context(listening(url + bob))
        await until_listening(http, bob, bobs)
        # A closed one frees its place.
        await sockets.pop().close()
        for _attempt in range(50):
            again = await stack.enter_async_context(listening(url + alice))
            with contextlib.suppress(ConnectionClosed):
                await until_listening(http, alice, again)
                break
        else:
            raise AssertionError("a closed socket never freed its place")


async def test_one_query_checks_every_open_sockets_token_and_a_dead_one_closes_4401(served):
    app, ws = served
    app.state.live_sockets.interval = 0.05
    checks: list[str] = []
    enough = asyncio.Event()
    loop = asyncio.get_running_loop()

    def seen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("SELECT auth_tokens.") and "users" not in statement:
            checks.append(repr(parameters))
            if len(checks) >= 3:
                loop.call_soon_threadsafe(enough.set)

    async with (
        httpx.AsyncClient(base_url=ws.replace("ws://", "http://")) as http,
        contextlib.AsyncExitStack() as stack,
    ):
        tokens = [await token_of(http, "alice"), await token_of(http, "bob")]
        tokens += [await another_token(http, "alice") for _ in range(4)]
        url = f"{ws}/api/notifications/ws?token="
        sockets = [await stack.enter_async_context(listening(url + t)) for t in tokens]
        event.listen(app.state.database.engine.sync_engine, "before_cursor_execute", seen)
        try:
            async with asyncio.timeout(30):  # a hang guard, not a measure
                await enough.wait()
        finally:
            event.remove(app.state.database.engine.sync_engine, "before_cursor_execute", seen)
        digests = [auth.token_digest(token) for token in tokens]
        for checked in checks:
            assert all(digest in checked for digest in digests), checked

        await http.post("/api/auth/logout/", headers={"Authorization": f"Bearer {tokens[2]}"})
        assert await closed_with(sockets[2]) == 4401
        await until_listening(http, tokens[3], sockets[3])  # the others stay open
