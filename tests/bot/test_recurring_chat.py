"""Recurring entries, /recurring and /safe in chat, through the fake Bot API server."""

from datetime import timedelta

from core.periods import local_today
from core.recurring.schedule import next_date
from tests.bot.test_bot import CHAT, bot_app, linked_alice, say  # noqa: F401
from tests.support.fake_telegram import FakeTelegram


async def press(fake: FakeTelegram, data: str) -> str:
    """Press a button; the bot's next message."""
    before = len(fake.sent(chat_id=CHAT))
    await fake.push(fake.callback_update(CHAT, data))
    answers = await fake.wait_for(chat_id=CHAT, count=before + 1)
    return str(answers[before].params["text"])


async def test_rent_every_month_after_the_save_button(bot_app, telegram):  # noqa: F811
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    today = local_today("UTC")
    first = next_date("FREQ=MONTHLY;BYMONTHDAY=3", today, None, today)
    assert first is not None
    question = await say(telegram, "rent 900 every month on the 3rd")
    assert question == (
        "Every time: expense of 900.00 EUR · rent · FREQ=MONTHLY;BYMONTHDAY=3. "
        f"First on {first:%d %b %Y}. Save it?"
    )
    keyboard = telegram.sent(chat_id=CHAT)[-1].params["reply_markup"]["inline_keyboard"]
    assert [b["callback_data"] for b in keyboard[0]] == ["rc:save", "rc:cancel"]
    # Nothing is recorded before the button, not even as a one-off expense.
    assert (await client.get("/api/recurring/", headers=alice)).json() == []
    assert (await client.get("/api/expenses/", headers=alice)).json() == []
    saved = await press(telegram, "rc:save")
    assert saved == f"Recurring expense saved: 900.00 EUR · rent. Next on {first:%d %b %Y}."
    [entry] = (await client.get("/api/recurring/", headers=alice)).json()
    assert (entry["rrule"], entry["amount"], entry["next_date"]) == (
        "FREQ=MONTHLY;BYMONTHDAY=3",
        900.0,
        first.isoformat(),
    )


async def test_cancel_saves_nothing_and_a_second_press_is_refused(bot_app, telegram):  # noqa: F811
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    await say(telegram, "gym 30 every friday")
    await telegram.push(telegram.callback_update(CHAT, "rc:cancel"))
    await telegram.wait_for("answerCallbackQuery")
    await telegram.push(telegram.callback_update(CHAT, "rc:save"))
    await telegram.wait_for("answerCallbackQuery", count=2)
    answers = [c.params.get("text") for c in telegram.sent("answerCallbackQuery")]
    assert answers[-2:] == ["Not saved.", "That question has expired; send the message again."]
    assert (await client.get("/api/recurring/", headers=alice)).json() == []


async def test_list_and_stop(bot_app, telegram):  # noqa: F811
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    assert (await say(telegram, "/recurring")).startswith("You have no recurring entries")
    await say(telegram, "netflix 15.99 monthly")
    await press(telegram, "rc:save")
    await say(telegram, "gym 30 every friday")
    await press(telegram, "rc:save")
    listing = await say(telegram, "/recurring")
    assert listing.splitlines()[0].startswith("netflix: 15.99 EUR · FREQ=MONTHLY")
    assert listing.splitlines()[1].startswith("gym: 30.00 EUR · FREQ=WEEKLY;BYDAY=FR")
    keyboard = telegram.sent(chat_id=CHAT)[-1].params["reply_markup"]["inline_keyboard"]
    netflix, gym = (await client.get("/api/recurring/", headers=alice)).json()[::-1]
    assert [row[0]["callback_data"] for row in keyboard] == [
        f"rs:{netflix['id']}",
        f"rs:{gym['id']}",
    ]
    stopped = await press(telegram, f"rs:{netflix['id']}")
    assert stopped == "Stopped: netflix. What it already recorded stays."
    assert [e["id"] for e in (await client.get("/api/recurring/", headers=alice)).json()] == [
        gym["id"]
    ]


async def test_safe_to_spend_in_chat(bot_app, telegram):  # noqa: F811
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    await client.post("/api/incomes/", json={"source": "salary", "amount": "3100"}, headers=alice)
    answer = await say(telegram, "/safe")
    today = local_today("UTC")
    end = (today.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    days = (end - today).days + 1
    assert answer.startswith("Safe to spend: ")
    assert f"a day for {days} days (to {end:%d %b})" in answer
    assert "Left 3100.00 EUR: income 3100.00" in answer
