"""Issue 18 in the chat, end to end against the fake Bot API server: command forms,
questions answered and never recorded, edits that follow the message, and readings
asked about with buttons instead of guessed."""

from datetime import date, timedelta
from typing import Any

import httpx

from bot import texts
from core.periods import local_today
from tests.bot import test_bot
from tests.bot.test_bot import CHAT, linked_alice, say
from tests.support.fake_telegram import FakeTelegram

# The fixture of the bot's own tests: its REST app and bot.
bot_app = test_bot.bot_app


async def send(telegram: FakeTelegram, update: dict[str, Any], chat: int = CHAT) -> str:
    """Push any update; the bot's next message to the chat."""
    before = len(telegram.sent(chat_id=chat))
    await telegram.push(update)
    answers = await telegram.wait_for(chat_id=chat, count=before + 1)
    return str(answers[before].params["text"])


async def press(telegram: FakeTelegram, data: str) -> dict[str, Any]:
    """Tap an inline button; what the bot answered the tap with."""
    before = len(telegram.sent("answerCallbackQuery"))
    await telegram.push(telegram.callback_update(CHAT, data))
    answers = await telegram.wait_for("answerCallbackQuery", count=before + 1)
    return answers[before].params


async def edited_reply(telegram: FakeTelegram, count: int) -> str:
    """The text of the bot's `count`-th edit of its own messages (it follows the tap's answer)."""
    edits = await telegram.wait_for("editMessageText", count=count)
    return str(edits[count - 1].params["text"])


async def listed(client: httpx.AsyncClient, alice: dict[str, str], what: str) -> list[Any]:
    return list((await client.get(f"/api/{what}/", headers=alice)).json())


def buttons(telegram: FakeTelegram) -> list[dict[str, str]]:
    markup = telegram.sent(chat_id=CHAT)[-1].params["reply_markup"]
    return [button for row in markup["inline_keyboard"] for button in row]


async def test_command_forms_record_entries(bot_app, telegram):
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    today = local_today("UTC").isoformat()
    assert await say(telegram, "/add 50 lunch") == f"Expense saved: 50.00 EUR · lunch · {today}"
    assert (await say(telegram, "/expense 12.30 taxi")).startswith(
        "Expense saved: 12.30 EUR · taxi"
    )
    assert (await say(telegram, "/spent 20 groceries")).startswith("Expense saved: 20.00 EUR")
    income = await say(telegram, "/income 300 freelance")
    assert income == f"Income saved: 300.00 EUR · freelance · {today}"
    assert (await say(telegram, "salary 2500")).startswith("Income saved: 2500.00 EUR · salary")
    expenses = await listed(client, alice, "expenses")
    assert sorted((e["category"], e["amount"]) for e in expenses) == [
        ("groceries", 20),
        ("lunch", 50),
        ("taxi", 12.3),
    ]
    assert sorted(i["source"] for i in await listed(client, alice, "incomes")) == [
        "freelance",
        "salary",
    ]
    # /safe answers the figure; a recurring phrase asks first and is never a one-off entry.
    assert (await say(telegram, "/safe")).startswith("Safe to spend:")
    assert (await say(telegram, "/add rent 900 every month on the 3rd")).startswith("Every time:")
    assert len(await listed(client, alice, "expenses")) == 3


async def test_questions_are_answered_and_never_recorded(bot_app, telegram):
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    today = local_today("UTC")
    october = date(today.year - (today.month < 10), 10, 1)
    await client.post(
        "/api/budgets/",
        headers=alice,
        # No day of any month's pace runs 30 spent out of 1000: no pace alert lands
        # between the answers read below.
        json={"category": "groceries", "limit": 1000, "period": "monthly"},
    )
    for category, amount, day in [
        ("rent", 900, october.replace(day=3)),
        ("laptop", 1200, october.replace(day=20)),
        ("coffee", 3, october.replace(day=5)),
        ("groceries", 30, today),
        ("food", 12, today),
        ("food", 8, today),
    ]:
        body = {"category": category, "amount": amount, "date": day.isoformat()}
        assert (await client.post("/api/expenses/", headers=alice, json=body)).status_code == 201

    month = texts.span(today.replace(day=1), today)
    assert (
        await say(telegram, "how much did I spend on food this month?")
        == f"You spent 20.00 EUR on food {month}."
    )
    assert (
        await say(telegram, "what's left for groceries?")
        == "groceries (this month): 970.00 EUR left of 1000.00"
    )
    biggest = (await say(telegram, "biggest expenses in October")).splitlines()
    assert biggest == [
        f"Your biggest expenses {texts.span(october, october.replace(day=31))}:",
        f"• 1200.00 EUR · laptop · {october.year}-10-20",
        f"• 900.00 EUR · rent · {october.year}-10-03",
        f"• 3.00 EUR · coffee · {october.year}-10-05",
    ]
    # A breakdown over several categories comes as a chart with the figures as caption.
    await telegram.push(telegram.message_update(CHAT, "spent this week?"))
    [photo] = await telegram.wait_for("sendPhoto", chat_id=CHAT)
    assert next(iter(photo.files.values())).startswith(b"\x89PNG")
    week = texts.span(today - timedelta(days=today.weekday()), today)
    assert photo.params["caption"].splitlines()[:2] == [
        f"You spent 50.00 EUR {week}.",
        "• groceries: 30.00",
    ]
    assert len(await listed(client, alice, "expenses")) == 6
    assert await listed(client, alice, "incomes") == []


async def test_an_edit_updates_the_entry_its_message_made(bot_app, telegram):
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    today = local_today("UTC")
    yesterday = (today - timedelta(days=1)).isoformat()
    typed = telegram.message_update(CHAT, "lunch 12")
    message_id = typed["message"]["message_id"]
    assert (await send(telegram, typed)).startswith("Expense saved: 12.00 EUR · lunch")

    fixed = f"Updated: 15.00 EUR · dinner · {yesterday}"
    edit = telegram.edited_update(CHAT, message_id, "dinner with Ana 15 yesterday")
    assert await send(telegram, edit) == fixed
    [expense] = await listed(client, alice, "expenses")
    assert (expense["amount"], expense["category"], expense["date"], expense["description"]) == (
        15,
        "dinner",
        yesterday,
        "dinner with Ana",
    )
    # The same edit again (a retried update) changes nothing and records nothing.
    again = telegram.edited_update(CHAT, message_id, "dinner with Ana 15 yesterday")
    assert (
        await send(telegram, again) == f"Already saved like that: 15.00 EUR · dinner · {yesterday}"
    )
    assert [e["id"] for e in await listed(client, alice, "expenses")] == [expense["id"]]

    # Edited into money coming in: the expense becomes an income, still one entry.
    income = telegram.edited_update(CHAT, message_id, "+15 refund")
    assert (await send(telegram, income)).startswith("Updated: 15.00 EUR · refund")
    assert await listed(client, alice, "expenses") == []
    [refund] = await listed(client, alice, "incomes")
    assert (refund["source"], refund["amount"]) == ("refund", 15)
    # /undo still knows it as the chat's last entry.
    assert await say(telegram, "/undo") == "Undone: income of 15.00 (refund)."


async def test_an_edit_of_a_message_that_made_nothing_reads_it_afresh(bot_app, telegram):
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    typed = telegram.message_update(CHAT, "coffee")
    assert await send(telegram, typed) == texts.CANT_READ
    edit = telegram.edited_update(CHAT, typed["message"]["message_id"], "coffee 4")
    assert (await send(telegram, edit)).startswith("Expense saved: 4.00 EUR · coffee")
    assert len(await listed(client, alice, "expenses")) == 1


async def test_an_edit_that_is_no_longer_an_entry_deletes_it_after_confirm(bot_app, telegram):
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    typed = telegram.message_update(CHAT, "taxi 18")
    await send(telegram, typed)
    kept = telegram.message_update(CHAT, "bus 3")
    await send(telegram, kept)
    [taxi] = [e for e in await listed(client, alice, "expenses") if e["category"] == "taxi"]

    asked = await send(
        telegram, telegram.edited_update(CHAT, typed["message"]["message_id"], "taxi")
    )
    assert asked == texts.NO_LONGER_AN_ENTRY.format(what="expense of 18.00 (taxi)")
    delete, keep = buttons(telegram)
    assert (delete["text"], keep["text"]) == (texts.DELETE_IT, texts.KEEP_IT)
    assert len(await listed(client, alice, "expenses")) == 2  # nothing until confirmed

    answered = await press(telegram, delete["callback_data"])
    assert answered["text"] == "Deleted: expense of 18.00 (taxi)."
    assert await edited_reply(telegram, 1) == "Deleted: expense of 18.00 (taxi)."
    assert [e["category"] for e in await listed(client, alice, "expenses")] == ["bus"]
    assert (await client.get(f"/api/expenses/{taxi['id']}/", headers=alice)).status_code == 404
    # A second tap deletes nothing more.
    assert (await press(telegram, delete["callback_data"]))["text"] == texts.TOO_OLD_TO_CHANGE
    assert [e["category"] for e in await listed(client, alice, "expenses")] == ["bus"]

    # "Keep it" keeps the entry as it was.
    edit = telegram.edited_update(CHAT, kept["message"]["message_id"], "how are you")
    assert (await send(telegram, edit)).startswith("Your edited message no longer reads")
    _, keep = buttons(telegram)
    await press(telegram, keep["callback_data"])
    [bus] = await listed(client, alice, "expenses")
    assert (bus["category"], bus["amount"]) == ("bus", 3)
    assert await edited_reply(telegram, 2) == "Kept: expense of 3.00 (bus)."


async def test_an_ambiguous_message_asks_and_records_the_pressed_reading_once(bot_app, telegram):
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    today = local_today("UTC").isoformat()
    typed = telegram.message_update(CHAT, "12 13 lunch")
    assert await send(telegram, typed) == texts.WHICH_READING
    first, second = buttons(telegram)
    assert (first["text"], second["text"]) == (
        f"12.00 EUR · lunch · {today}",
        f"13.00 EUR · lunch · {today}",
    )
    assert await listed(client, alice, "expenses") == []  # nothing on a guess

    await press(telegram, second["callback_data"])
    assert await edited_reply(telegram, 1) == f"Expense saved: 13.00 EUR · lunch · {today}"
    [expense] = await listed(client, alice, "expenses")
    assert expense["amount"] == 13
    # Pressing again, either button, records nothing more.
    assert (await press(telegram, second["callback_data"]))["text"] == texts.CHOSEN_ALREADY
    assert (await press(telegram, first["callback_data"]))["text"] == texts.CHOSEN_ALREADY
    assert [e["amount"] for e in await listed(client, alice, "expenses")] == [13]


async def test_an_ambiguous_message_edited_into_one_reading_retires_its_buttons(bot_app, telegram):
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    typed = telegram.message_update(CHAT, "20 30 taxi")
    assert await send(telegram, typed) == texts.WHICH_READING
    first, _ = buttons(telegram)
    edit = telegram.edited_update(CHAT, typed["message"]["message_id"], "taxi 25")
    assert (await send(telegram, edit)).startswith("Expense saved: 25.00 EUR · taxi")
    assert (await press(telegram, first["callback_data"]))["text"] == texts.CHOSEN_ALREADY
    assert [e["amount"] for e in await listed(client, alice, "expenses")] == [25]
