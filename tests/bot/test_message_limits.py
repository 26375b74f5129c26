"""SPEC 12 through the bot: a message over 1,000 characters is answered that it is too
long and records nothing; one at the limit is read as usual (fake Bot API, real aiogram)."""

from bot import texts
from core.language.parsing import MAX_MESSAGE_CHARS
from tests.bot.test_bot import CHAT, JPEG, bot_app, linked_alice, say  # noqa: F401
from tests.support.fake_telegram import FakeTelegram

TOO_LONG = texts.TOO_LONG.format(limit="1,000")


def entry_of(length: int) -> str:
    """An expense a person could mean, padded with one long word to `length` characters."""
    head = "coffee 4.50 "
    return head + "a" * (length - len(head))


async def test_a_message_over_the_limit_is_answered_too_long_and_records_nothing(
    bot_app,  # noqa: F811
    telegram: FakeTelegram,
):
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    answer = await say(telegram, entry_of(MAX_MESSAGE_CHARS + 1))
    assert answer == TOO_LONG
    assert "too long" in answer and "over 1,000 characters" in answer
    assert "nothing was recorded" in answer
    # H1's payload: Telegram's longest message, all "@".
    assert await say(telegram, "@" * 4096) == TOO_LONG
    assert await say(telegram, "/add " + entry_of(MAX_MESSAGE_CHARS)) == TOO_LONG
    assert (await client.get("/api/expenses/", headers=alice)).json() == []
    assert (await client.get("/api/incomes/", headers=alice)).json() == []
    # At the limit it is an entry as any other: the limit is not one character early.
    assert (await say(telegram, entry_of(MAX_MESSAGE_CHARS))).startswith(
        "Expense saved: 4.50 EUR · coffee"
    )
    assert len((await client.get("/api/expenses/", headers=alice)).json()) == 1


async def test_a_caption_over_the_limit_keeps_neither_entry_nor_photo(
    bot_app,  # noqa: F811
    telegram: FakeTelegram,
):
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    # Telegram takes captions up to 1,024 characters.
    await telegram.push(telegram.photo_update(CHAT, JPEG, caption=entry_of(1024)))
    answer = (await telegram.wait_for(chat_id=CHAT, count=2))[-1].params["text"]
    assert answer == TOO_LONG
    assert (await client.get("/api/expenses/", headers=alice)).json() == []
    assert (await client.get("/api/documents/", headers=alice)).json() == []
