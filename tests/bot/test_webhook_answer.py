"""Issue 12: in webhook mode a chat message is answered in the webhook's own response
(Telegram makes the call it carries), so an entry costs one HTTP exchange, not two."""

import asyncio
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from aiogram import Dispatcher
from aiogram.methods import SendPhoto
from aiogram.types import BufferedInputFile, Message
from sqlalchemy import select

from core.config import Settings
from core.models import Expense
from finbot.processes import create_app
from tests.bot.test_webhook_hardening import webhook_mode
from tests.conftest import clean_database
from tests.support.fake_telegram import FakeTelegram

CHAT = 4242
SECRET = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}


@pytest.fixture
async def hooked(settings: Settings, telegram: FakeTelegram) -> AsyncIterator[Any]:
    app = create_app(webhook_mode(settings, telegram))
    await clean_database(app.state.database)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://finbot.test") as http:
            yield app, http
    finally:
        await app.state.bot.session.close()
        await app.state.database.dispose()


async def say(http: httpx.AsyncClient, telegram: FakeTelegram, text: str) -> httpx.Response:
    update = telegram.message_update(CHAT, text)
    answer = await http.post("/api/telegram/webhook/", json=update, headers=SECRET)
    assert answer.status_code == 200, answer.text
    return answer


async def test_a_saved_entry_is_answered_in_the_webhook_response_after_its_commit(hooked, telegram):
    app, http = hooked
    await say(http, telegram, "/start")
    calls_before = len(telegram.calls)

    answer = await say(http, telegram, "coffee 4.50")

    assert answer.headers["content-type"].startswith("application/json")
    call = answer.json()
    assert call["method"] == "sendMessage"
    assert call["chat_id"] == CHAT
    assert call["text"].startswith("Expense saved: 4.50 EUR · coffee")
    buttons = [b["callback_data"] for row in call["reply_markup"]["inline_keyboard"] for b in row]
    assert any(data.startswith("undo:") for data in buttons)
    # Not also sent as a call of its own: said once.
    assert telegram.calls[calls_before:] == []
    # True when said: the entry is committed before the answer leaves.
    async with app.state.database.session() as session:
        amounts = (await session.execute(select(Expense.amount))).scalars().all()
    assert amounts == [Decimal("4.50")]

    await telegram.webhook_answered(answer.headers["content-type"], answer.content)
    [saved] = telegram.sent(chat_id=CHAT)[-1:]
    assert saved.content_type == "webhook answer"
    assert saved.params["text"] == call["text"]


async def test_a_refusal_and_a_revision_are_answered_in_the_response_too(hooked, telegram):
    _, http = hooked
    await say(http, telegram, "/start")

    refused = (await say(http, telegram, "hello there")).json()
    assert refused["method"] == "sendMessage"
    assert "amount" in refused["text"].lower()

    entry = telegram.message_update(CHAT, "lunch 12")
    await http.post("/api/telegram/webhook/", json=entry, headers=SECRET)
    edited = telegram.edited_update(CHAT, entry["message"]["message_id"], "lunch 14")
    revised = await http.post("/api/telegram/webhook/", json=edited, headers=SECRET)
    assert revised.json()["method"] == "sendMessage"
    assert "14" in revised.json()["text"]


async def test_an_answer_with_a_file_is_sent_as_a_call(hooked, telegram):
    app, http = hooked
    # A handler returning an upload: it cannot ride in a JSON answer.
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def chart(message: Message) -> SendPhoto:
        return message.answer_photo(BufferedInputFile(b"\x89PNG", filename="chart.png"))

    app.state.dispatcher = dispatcher

    answer = await say(http, telegram, "/report")

    assert answer.json() == {"ok": True}
    [photo] = telegram.sent("sendPhoto", chat_id=CHAT)
    assert photo.files


async def test_the_answer_is_json_telegram_reads(hooked):
    """The body is one JSON object: the method and its parameters side by side."""
    from aiogram.methods import SendMessage

    app, _ = hooked
    bot = app.state.bot
    body = bot.session.webhook_answer(bot, SendMessage(chat_id=CHAT, text="hi"))
    assert json.loads(body) == {"method": "sendMessage", "chat_id": CHAT, "text": "hi"}


async def test_long_chat_work_is_answered_at_once_and_replied_to_by_a_call(
    hooked, telegram, monkeypatch
):
    """A statement import or a receipt's OCR does not hold the webhook's request (H6 of
    the 2026-12 review): past a short wait Telegram has its answer, and the reply
    follows as a call when the work is done."""
    import api.routes.telegram as route

    app, http = hooked
    monkeypatch.setattr(route, "INLINE_SECONDS", 0.01)
    working = asyncio.Event()
    done = asyncio.Event()
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def slow(message: Message) -> Any:
        working.set()
        await done.wait()  # until the test has its answer
        return message.answer("read 12 lines")

    app.state.dispatcher = dispatcher

    async with asyncio.timeout(30):  # a hang guard, not a measure
        answer = await say(http, telegram, "(a statement)")
        assert answer.json() == {"ok": True}
        assert working.is_set() and telegram.sent(chat_id=CHAT) == []
        done.set()
        await app.state.late_updates.finish()
    [reply] = telegram.sent(chat_id=CHAT)
    assert reply.params["text"] == "read 12 lines"
