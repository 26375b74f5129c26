"""A receipt photo in chat: read on this machine, offered as a draft, saved with one tap.

aiogram's real client against the fake Bot API server, the REST app alongside.
"""

from decimal import ROUND_HALF_UP, Decimal

import httpx
import pytesseract
import pytest

from core.documents import readings
from core.receipts import ocr_available
from tests.bot import test_bot as chat
from tests.support.fake_telegram import FakeTelegram
from tests.support.receipts import Spec, landscape_picture, render

pytestmark = pytest.mark.skipif(
    not ocr_available(),
    reason="the Tesseract binary is not installed (Debian: tesseract-ocr tesseract-ocr-eng)",
)
bot_app = chat.bot_app
CHAT = chat.CHAT
# FRESH FOODS, 120.19 EUR, 3 February 2025: a receipt Tesseract reads whole.
RECEIPT = render(Spec(1, "en_gb", "DejaVuSans.ttf", 26, "EUR"))
DRAFT = "120.19 EUR at FRESH FOODS, 3 Feb 2025"


async def send_photo(telegram: FakeTelegram, content: bytes) -> dict:
    before = len(telegram.sent(chat_id=CHAT))
    await telegram.push(telegram.photo_update(CHAT, content))
    [*_, answer] = await telegram.wait_for(chat_id=CHAT, count=before + 1, seconds=60)
    return answer.params


def draft_document(answer: dict) -> str:
    """The document id behind a draft's buttons, checking the buttons on the way."""
    rows = answer["reply_markup"]["inline_keyboard"]
    buttons = {button["text"]: button["callback_data"] for row in rows for button in row}
    assert list(buttons) == ["Save", "Change amount", "Cancel"]
    document_id = buttons["Save"].removeprefix("rcs:")
    assert buttons == {
        "Save": f"rcs:{document_id}",
        "Change amount": f"rca:{document_id}",
        "Cancel": f"rcx:{document_id}",
    }
    return document_id


async def tap(telegram: FakeTelegram, data: str) -> None:
    before = len(telegram.sent("answerCallbackQuery"))
    await telegram.push(telegram.callback_update(CHAT, data))
    await telegram.wait_for("answerCallbackQuery", count=before + 1)


async def expenses_of(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict]:
    answer = await client.get("/api/expenses/", headers=headers)
    return list(answer.json())


async def test_save_records_the_receipt_with_its_category_date_and_photo(bot_app, telegram):
    client, _ = bot_app
    alice = await chat.linked_alice(client, telegram)
    # Filed before: the merchant's words lead to groceries (learning from history).
    await chat.say(telegram, "groceries 12 fresh foods")

    answer = await send_photo(telegram, RECEIPT.data)
    assert answer["text"] == f"{DRAFT}\nSave it as an expense?"
    document_id = draft_document(answer)
    assert len(await expenses_of(client, alice)) == 1  # a draft records nothing

    await tap(telegram, f"rcs:{document_id}")
    [edited] = await telegram.wait_for("editMessageText")
    assert edited.params["text"] == "Expense saved: 120.19 EUR · groceries · 2025-02-03"
    assert edited.params["reply_markup"]["inline_keyboard"][-1][0]["text"] == "↩ Undo"
    _typed, saved = await expenses_of(client, alice)  # newest date first
    assert (saved["amount"], saved["category"], saved["date"], saved["description"]) == (
        120.19,
        "groceries",
        "2025-02-03",
        "FRESH FOODS",
    )
    assert saved["document_ids"] == [document_id]
    document = (await client.get(f"/api/documents/{document_id}/", headers=alice)).json()
    photo = await client.get(document["url"].removeprefix("http://finbot.test"))
    assert photo.content == RECEIPT.data

    # The chat's reading is stored: the API serves it (no second OCR), the same total.
    reading = (await client.get(f"/api/documents/{document_id}/reading/", headers=alice)).json()
    assert Decimal(str(reading["total"])) == RECEIPT.total

    # A second tap on a stale Save doubles nothing.
    await tap(telegram, f"rcs:{document_id}")
    assert telegram.sent("answerCallbackQuery")[-1].params["text"] == (
        "That receipt is already saved."
    )
    assert len(await expenses_of(client, alice)) == 2
    # /undo takes the expense back; the photo stays, detached.
    assert (await chat.say(telegram, "/undo")).startswith("Undone: expense of 120.19")
    document = (await client.get(f"/api/documents/{document_id}/", headers=alice)).json()
    assert document["expense_id"] is None


async def test_change_amount_asks_and_saves_with_the_given_amount(bot_app, telegram):
    client, _ = bot_app
    alice = await chat.linked_alice(client, telegram)
    document_id = draft_document(await send_photo(telegram, RECEIPT.data))

    await tap(telegram, f"rca:{document_id}")
    [*_, asked] = await telegram.wait_for(chat_id=CHAT, count=3)
    assert asked.params["text"] == "What was the amount in EUR? Send just the number, e.g. 23.45"
    assert (await chat.say(telegram, "a lot")).startswith("I need just the amount")
    assert await expenses_of(client, alice) == []

    answer = await chat.say(telegram, "118,50")
    # No history: filed under the merchant's first word, as "coffee 4.50" is under coffee.
    assert answer == "Expense saved: 118.50 EUR · fresh · 2025-02-03"
    [saved] = await expenses_of(client, alice)
    assert (saved["amount"], saved["document_ids"]) == (118.5, [document_id])
    # The question is over: the next message is an ordinary entry again.
    assert (await chat.say(telegram, "coffee 4.50")).startswith("Expense saved: 4.50 EUR · coffee")


async def test_cancel_keeps_the_photo_and_records_nothing(bot_app, telegram):
    client, _ = bot_app
    alice = await chat.linked_alice(client, telegram)
    document_id = draft_document(await send_photo(telegram, RECEIPT.data))

    await tap(telegram, f"rcx:{document_id}")
    [edited] = await telegram.wait_for("editMessageText")
    assert edited.params["text"] == "Kept the photo of the receipt; nothing was recorded."
    assert await expenses_of(client, alice) == []
    [document] = (await client.get("/api/documents/", headers=alice)).json()
    assert (document["document_id"], document["expense_id"]) == (document_id, None)
    # Nothing waits for an amount: the next message is an ordinary entry.
    assert (await chat.say(telegram, "taxi 18")).startswith("Expense saved: 18.00 EUR · taxi")
    [taxi] = await expenses_of(client, alice)
    assert taxi["document_ids"] == []


async def test_a_photo_that_is_not_a_receipt_gets_the_old_question(bot_app, telegram):
    client, _ = bot_app
    alice = await chat.linked_alice(client, telegram)
    answer = await send_photo(telegram, landscape_picture())
    assert answer["text"].startswith("Receipt saved. What was it?")
    assert "reply_markup" not in answer
    await chat.say(telegram, "dinner 45")
    [expense] = await expenses_of(client, alice)
    assert len(expense["document_ids"]) == 1


async def test_without_the_ocr_engine_the_bot_asks_as_before(
    bot_app, telegram, monkeypatch: pytest.MonkeyPatch
):
    client, _ = bot_app
    alice = await chat.linked_alice(client, telegram)
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    answer = await send_photo(telegram, RECEIPT.data)
    assert answer["text"].startswith("Receipt saved. What was it?")
    [document] = (await client.get("/api/documents/", headers=alice)).json()
    # Nothing was read, so nothing stored: once Tesseract is there, the API reads it.
    reading = await client.get(f"/api/documents/{document['document_id']}/reading/", headers=alice)
    assert reading.status_code == 503


async def test_the_receipt_of_the_expense_just_typed_is_attached_to_it(bot_app, telegram):
    client, _ = bot_app
    alice = await chat.linked_alice(client, telegram)
    await chat.say(telegram, "groceries 120.19")
    answer = await send_photo(telegram, RECEIPT.data)
    assert answer["text"] == "Receipt saved and attached to your groceries expense of 120.19 EUR."
    [expense] = await expenses_of(client, alice)
    assert len(expense["document_ids"]) == 1


async def test_a_receipt_in_another_currency_keeps_it_and_gets_its_dates_base_amount(
    bot_app, telegram
):
    client, _ = bot_app
    alice = await chat.linked_alice(client, telegram)
    me = await client.patch("/api/auth/me/", headers=alice, json={"currency": "USD"})
    assert me.status_code == 200, me.text
    document_id = draft_document(await send_photo(telegram, RECEIPT.data))

    await tap(telegram, f"rcs:{document_id}")
    await telegram.wait_for("editMessageText")
    rate = await client.get(
        "/api/rates/", headers=alice, params={"from": "EUR", "to": "USD", "date": "2025-02-03"}
    )
    expected = (RECEIPT.total * Decimal(str(rate.json()["rate"]))).quantize(
        Decimal("0.01"), ROUND_HALF_UP
    )
    [saved] = await expenses_of(client, alice)
    assert (Decimal(str(saved["amount"])), saved["currency"]) == (RECEIPT.total, "EUR")
    assert Decimal(str(saved["base_amount"])) == expected
    assert saved["description"] == "FRESH FOODS"
    assert saved["document_ids"] == [document_id]


async def test_no_pooled_connection_is_held_while_a_photo_is_read(
    bot_app, telegram, monkeypatch: pytest.MonkeyPatch
):
    client, app = bot_app
    await chat.linked_alice(client, telegram)
    pool = app.state.database.engine.pool
    held: list[int] = []
    real = readings.read_content

    async def read_content(*args, **kwargs):
        held.append(pool.checkedout())  # OCR takes seconds: the update's session holds none
        return await real(*args, **kwargs)

    monkeypatch.setattr(readings, "read_content", read_content)
    answer = await send_photo(telegram, RECEIPT.data)
    assert answer["text"] == f"{DRAFT}\nSave it as an expense?"
    assert held == [0]
