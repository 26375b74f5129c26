"""Calls to the Bot API: one JSON body when there is no file (aiogram's own session
builds a multipart form for every call), a form when there is one."""

from tests.bot.test_bot import CHAT, bot_app, linked_alice, say  # noqa: F401


async def test_replies_go_as_json_and_a_chart_as_a_form(bot_app, telegram):  # noqa: F811
    client, _ = bot_app
    await linked_alice(client, telegram)
    assert (await say(telegram, "coffee 4.50")).startswith("Expense saved: 4.50 EUR")
    [*_, saved] = telegram.sent(chat_id=CHAT)
    assert saved.content_type == "application/json"
    assert saved.params["chat_id"] == CHAT  # a number, not a form's text
    buttons = saved.params["reply_markup"]["inline_keyboard"]  # an object, not a JSON string
    assert any(button["callback_data"].startswith("undo:") for row in buttons for button in row)

    await telegram.push(telegram.message_update(CHAT, "/report week"))
    [photo] = await telegram.wait_for("sendPhoto", chat_id=CHAT)
    assert photo.content_type == "multipart/form-data"
    [png] = photo.files.values()
    assert png.startswith(b"\x89PNG")
