"""The bot end to end over HTTP: aiogram's real client against a fake Bot API server."""

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.app import make_bot, make_dispatcher, run_bot_alongside
from bot.delivery import ChatDelivery
from core.periods import local_today
from finbot.processes import create_app
from tests.conftest import clean_database, make_user
from tests.support.fake_telegram import BOT_USERNAME, FakeTelegram
from tests.support.process import ServeProcess, clean_environment

TOKEN = "123456:TEST-token"
CHAT = 777
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 64


@pytest.fixture
async def bot_app(settings, telegram):
    """The REST app and the bot (long polling) sharing one database."""
    settings = settings.model_copy(
        update={"telegram_bot_token": SecretStr(TOKEN), "telegram_api_url": telegram.url}
    )
    app = create_app(settings)
    await clean_database(app.state.database)
    bot = make_bot(settings)
    dispatcher = make_dispatcher(app.state.database, app.state.store, settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        run_bot_alongside(bot, dispatcher, app.state.database, settings),
        httpx.AsyncClient(transport=transport, base_url="http://finbot.test") as http,
    ):
        yield http, app
    await bot.session.close()
    await app.state.bot.session.close()
    await app.state.database.dispose()


async def say(telegram: FakeTelegram, text: str, chat: int = CHAT) -> str:
    before = len(telegram.sent(chat_id=chat))
    await telegram.push(telegram.message_update(chat, text))
    answers = await telegram.wait_for(chat_id=chat, count=before + 1)
    return str(answers[before].params["text"])


async def linked_alice(client: httpx.AsyncClient, telegram: FakeTelegram) -> dict[str, str]:
    alice = await make_user(client, "alice")
    link = (await client.post("/api/telegram/link/", headers=alice)).json()
    assert link["url"] == f"https://t.me/{BOT_USERNAME}?start={link['code']}"
    answer = await say(telegram, f"/start {link['code']}")
    assert "linked to your finbot account alice" in answer
    return alice


async def test_start_registers_commands_and_makes_an_account(bot_app, telegram):
    await telegram.wait_for("setMyCommands")
    commands = {c["command"] for c in telegram.sent("setMyCommands")[0].params["commands"]}
    assert commands == {
        *("add", "expense", "spent", "income"),
        *("budget", "goals", "save", "report", "recurring", "safe", "undo", "help"),
    }
    assert telegram.sent("deleteWebhook")  # polling mode
    answer = await say(telegram, "/start")
    assert answer.startswith("Welcome to finbot!")
    assert "coffee 4.50" in answer
    assert (await say(telegram, "/start")).startswith("Welcome back")


async def test_a_text_message_becomes_an_expense_of_the_linked_user(bot_app, telegram):
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    answer = await say(telegram, "12,30 € lunch with Ana")
    today = local_today("UTC").isoformat()
    assert answer == f"Expense saved: 12.30 EUR · lunch · {today}"
    markup = telegram.sent(chat_id=CHAT)[-1].params["reply_markup"]
    assert markup["inline_keyboard"][-1][0]["text"] == "↩ Undo"
    [expense] = (await client.get("/api/expenses/", headers=alice)).json()
    assert (expense["amount"], expense["category"], expense["description"]) == (
        12.3,
        "lunch",
        "lunch with Ana",
    )
    income = await say(telegram, "+2500 salary")
    assert income.startswith("Income saved: 2500.00 EUR · salary")
    assert len((await client.get("/api/incomes/", headers=alice)).json()) == 1


async def test_unreadable_messages_record_nothing(bot_app, telegram):
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    assert "coffee 4.50" in await say(telegram, "hello there")
    assert "more than one amount" in await say(telegram, "taxi 10 20 30")
    assert (await client.get("/api/expenses/", headers=alice)).json() == []


async def test_undo_and_refile(bot_app, telegram):
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    await say(telegram, "groceries 20")
    await say(telegram, "taxi 18")
    assert (await say(telegram, "/undo")).startswith("Undone: expense of 18.00 (taxi)")
    [left] = (await client.get("/api/expenses/", headers=alice)).json()
    assert left["category"] == "groceries"
    await telegram.push(telegram.callback_update(CHAT, f"rf:{left['id']}:food"))
    await telegram.wait_for("answerCallbackQuery")
    assert (await client.get(f"/api/expenses/{left['id']}/", headers=alice)).json()[
        "category"
    ] == "food"
    assert await say(telegram, "/undo") == "Undone: expense of 20.00 (food)."
    assert await say(telegram, "/undo") == "There is nothing to undo."


async def test_a_photo_with_a_caption_becomes_an_expense_with_the_document(bot_app, telegram):
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    await telegram.push(telegram.photo_update(CHAT, JPEG, caption="dinner 45"))
    answer = (await telegram.wait_for(chat_id=CHAT, count=2))[-1].params["text"]
    assert answer.startswith("Expense saved: 45.00 EUR · dinner")
    [expense] = (await client.get("/api/expenses/", headers=alice)).json()
    [document_id] = expense["document_ids"]
    document = (await client.get(f"/api/documents/{document_id}/", headers=alice)).json()
    got = await client.get(document["url"].removeprefix("http://finbot.test"))
    assert got.content == JPEG  # the largest size, byte for byte
    assert telegram.sent("getFile")[0].params["file_id"].endswith("-small") is False


async def test_a_photo_without_caption_waits_for_its_amount(bot_app, telegram):
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    await telegram.push(telegram.photo_update(CHAT, JPEG))
    asked = (await telegram.wait_for(chat_id=CHAT, count=2))[-1].params["text"]
    assert asked.startswith("Receipt saved. What was it?")
    await say(telegram, "dinner 45")
    [expense] = (await client.get("/api/expenses/", headers=alice)).json()
    assert len(expense["document_ids"]) == 1
    # A second photo within ten minutes attaches to that last expense.
    await telegram.push(telegram.photo_update(CHAT, JPEG))
    attached = (await telegram.wait_for(chat_id=CHAT, count=4))[-1].params["text"]
    assert attached == "Receipt saved and attached to your dinner expense of 45.00 EUR."
    [expense] = (await client.get("/api/expenses/", headers=alice)).json()
    assert len(expense["document_ids"]) == 2


async def test_crossing_80_percent_sends_one_alert_to_the_chat(bot_app, telegram):
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    await client.post(
        "/api/budgets/", headers=alice, json={"category": "food", "limit": 10, "period": "monthly"}
    )
    await say(telegram, "food 8.50")
    alert = "food: 8.50 of 10.00 EUR spent this month (85 %)"
    # linked, saved, then the alert from the delivery loop
    texts = [c.params["text"] for c in await telegram.wait_for(chat_id=CHAT, count=3)]
    assert texts.count(alert) == 1
    await asyncio.sleep(1.5)  # another delivery round sends nothing more
    assert [c.params["text"] for c in telegram.sent(chat_id=CHAT)].count(alert) == 1


async def test_budget_goals_save_and_report(bot_app, telegram):
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    await client.post(
        "/api/budgets/", headers=alice, json={"category": "food", "limit": 100, "period": "weekly"}
    )
    await client.post(
        "/api/goals/",
        headers=alice,
        json={"target_amount": 1000, "description": "vacation", "deadline": "2030-01-01"},
    )
    await say(telegram, "food 25")
    budget = await say(telegram, "/budget")
    assert budget == "food (this week): 25.00 of 100.00 EUR\n██░░░░░░░░ 25 %"
    saved = await say(telegram, "/save 100 vacation")
    assert saved == "Added 100.00 to vacation: 100.00 of 1000.00 EUR saved."
    assert "vacation (by 2030-01-01): 100.00 of 1000.00 EUR" in await say(telegram, "/goals")
    await telegram.push(telegram.message_update(CHAT, "/report week"))
    [photo] = await telegram.wait_for("sendPhoto", chat_id=CHAT)
    [png] = photo.files.values()  # aiogram uploads it as an attach:// part
    assert png.startswith(b"\x89PNG")
    assert "Spent: 25.00 EUR" in photo.params["caption"]


async def test_delivery_honours_retry_after_and_skips_blocked_chats(bot_app, telegram):
    client, app = bot_app
    from core.notifications.service import notify

    alice = await linked_alice(client, telegram)
    await say(telegram, "/start", chat=555)  # a second chat-only user
    me = (await client.get("/api/auth/me/", headers=alice)).json()
    telegram.blocked_chats.add(555)
    async with app.state.database.session() as session:
        from core.telegram.service import user_for_chat

        other = await user_for_chat(session, 555)
        assert other is not None
        await notify(session, other.id, "test", "to a blocked chat")
        await notify(session, me["id"], "test", "to alice")
    delivery = ChatDelivery(app.state.bot, app.state.database)
    telegram.fail_next["sendMessage"] = [
        (429, {"description": "Too Many Requests: retry after 2", "parameters": {"retry_after": 2}})
    ]
    # The fixture's own delivery loop may take a round too; the end state is what counts.
    for _ in range(50):
        await delivery.run_once()
        if "to alice" in [c.params.get("text") for c in telegram.sent(chat_id=CHAT)]:
            break
        await asyncio.sleep(0.2)
    texts = [c.params.get("text") for c in telegram.sent(chat_id=CHAT) if c.status == 200]
    assert texts.count("to alice") == 1
    attempts = [c for c in telegram.sent() if c.params.get("text", "").startswith("to ")]
    limited = next(n for n, c in enumerate(attempts) if c.status == 429)
    assert attempts[limited + 1].at - attempts[limited].at >= 1.9  # Retry-After honoured
    assert any(c.params["text"] == "to a blocked chat" and c.status == 200 for c in attempts)
    from sqlalchemy import select

    from core.models import Notification

    # Whichever loop sent the last one records it just after the send: wait for that.
    for _ in range(50):
        async with app.state.database.session() as session:
            rows = (await session.execute(select(Notification))).scalars().all()
        if all(row.delivered_at is not None for row in rows if row.kind == "test"):
            break
        await asyncio.sleep(0.2)
    assert all(row.delivered_at is not None for row in rows if row.kind == "test")


async def test_webhook_mode_through_finbot_serve(telegram, empty_database, tmp_path: Path):
    server = ServeProcess(tmp_path / "hook")
    secret = "hook-secret-123"
    webhook_url = f"{server.url}/api/telegram/webhook/"
    server.env = clean_environment(
        FINBOT_DATABASE_URL=empty_database,
        FINBOT_TELEGRAM_BOT_TOKEN=TOKEN,
        FINBOT_TELEGRAM_API_URL=telegram.url,
        FINBOT_TELEGRAM_WEBHOOK_URL=webhook_url,
        FINBOT_TELEGRAM_WEBHOOK_SECRET=secret,
        FINBOT_STORAGE_DIR=str(tmp_path / "data"),
    )
    # Started from a thread: the fake Telegram server lives on this event loop.
    await asyncio.to_thread(server.__enter__)
    try:
        [registered] = await telegram.wait_for("setWebhook")
        assert registered.params["url"] == webhook_url
        assert registered.params["secret_token"] == secret
        update = telegram.message_update(31337, "/start")
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            wrong = await http.post(
                "/api/telegram/webhook/",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"},
            )
            assert wrong.status_code == 403
            missing = await http.post("/api/telegram/webhook/", json=update)
            assert missing.status_code == 403
            assert telegram.sent(chat_id=31337) == []
            right = await http.post(
                "/api/telegram/webhook/",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": secret},
            )
            assert right.status_code == 200
            [welcome] = await telegram.wait_for(chat_id=31337)
            assert welcome.params["text"].startswith("Welcome to finbot!")
            entry = telegram.message_update(31337, "coffee 4.50")
            answered = await http.post(
                "/api/telegram/webhook/",
                json=entry,
                headers={"X-Telegram-Bot-Api-Secret-Token": secret},
            )
            # The reply rides in the webhook's answer, which Telegram makes as a call.
            await telegram.webhook_answered(answered.headers["content-type"], answered.content)
            saved = await telegram.wait_for(chat_id=31337, count=2)
            assert saved[-1].params["text"].startswith("Expense saved: 4.50 EUR · coffee")
    finally:
        await asyncio.to_thread(server.stop)
    assert TOKEN not in server.log() and secret not in server.log()


async def test_a_failing_update_is_rolled_back_and_answered_with_an_apology(
    bot_app, telegram, monkeypatch
):
    from bot import texts
    from bot.handlers import entries

    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    original = entries.chats.record

    async def record_then_fail(*args: Any, **kwargs: Any) -> None:
        await original(*args, **kwargs)
        raise RuntimeError("the disk caught fire")

    monkeypatch.setattr(entries.chats, "record", record_then_fail)
    assert await say(telegram, "coffee 4.50") == texts.APOLOGY
    assert (await client.get("/api/expenses/", headers=alice)).json() == []
    assert not any("disk caught fire" in c.params.get("text", "") for c in telegram.sent())


async def test_a_code_for_another_account_asks_before_moving_the_chat(bot_app, telegram):
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    bob = await make_user(client, "bob")
    code = (await client.post("/api/telegram/link/", headers=bob)).json()["code"]

    question = await say(telegram, f"/start {code}")
    assert "linked to the finbot account alice" in question
    assert "account bob instead?" in question
    buttons = telegram.sent(chat_id=CHAT)[-1].params["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"] for row in buttons] == ["Link to bob", "Keep alice"]
    assert [row[0]["callback_data"] for row in buttons] == [f"relink:{code}", "relink-keep"]
    # Nothing moved on the question alone: the chat still records for alice.
    await say(telegram, "coffee 4.50")
    assert len((await client.get("/api/expenses/", headers=alice)).json()) == 1

    await telegram.push(telegram.callback_update(CHAT, "relink-keep"))
    [kept] = await telegram.wait_for("editMessageText")
    assert kept.params["text"] == "This chat stays linked to alice."
    await say(telegram, "tea 3")
    assert len((await client.get("/api/expenses/", headers=alice)).json()) == 2

    await telegram.push(telegram.callback_update(CHAT, f"relink:{code}"))
    moved = await telegram.wait_for("editMessageText", count=2)
    assert "linked to your finbot account bob" in moved[1].params["text"]
    await say(telegram, "lunch 12")
    assert len((await client.get("/api/expenses/", headers=bob)).json()) == 1
    assert len((await client.get("/api/expenses/", headers=alice)).json()) == 2

    # The code is spent: pressing the button again moves nothing.
    await telegram.push(telegram.callback_update(CHAT, f"relink:{code}"))
    again = await telegram.wait_for("editMessageText", count=3)
    assert again[2].params["text"].startswith("That link code is unknown or expired")


async def test_a_code_for_the_chats_own_account_links_without_asking(bot_app, telegram):
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    code = (await client.post("/api/telegram/link/", headers=alice)).json()["code"]
    assert "linked to your finbot account alice" in await say(telegram, f"/start {code}")
