"""Budget and goal alerts: made once per threshold and period, listed, read."""

import asyncio
from datetime import timedelta

import httpx

from core.periods import local_today, period_range
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
