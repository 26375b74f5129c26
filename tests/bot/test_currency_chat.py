"""SPEC 5 in chat: the parsed currency is recorded, the reply shows both amounts,
/report and /budget count base amounts."""

from decimal import Decimal

from core.currencies.ecb import DailyRate
from core.currencies.service import ensure_rates_loaded
from core.periods import local_today
from tests.bot.test_bot import CHAT, bot_app, linked_alice, say, telegram
from tests.core.rates_support import set_rates

__all__ = ["bot_app", "telegram"]  # the fixtures, shared with the bot's own tests


async def test_chat_entries_keep_their_currency_and_show_the_base(bot_app, telegram):
    client, app = bot_app
    today = local_today("UTC")
    async with app.state.database.session() as session:
        await ensure_rates_loaded(session)
    await set_rates(
        app.state.database,
        [DailyRate("USD", today, Decimal("1.25")), DailyRate("JPY", today, Decimal("125"))],
    )
    alice = await linked_alice(client, telegram)
    await client.post(
        "/api/budgets/", json={"category": "food", "limit": 100, "period": "monthly"}, headers=alice
    )
    assert await say(telegram, "food 20 USD") == (
        f"Expense saved: 20.00 USD = 16.00 EUR · food · {today.isoformat()}"
    )
    assert await say(telegram, "¥1500 food") == (
        f"Expense saved: 1500 JPY = 12.00 EUR · food · {today.isoformat()}"
    )
    assert await say(telegram, "food 2") == f"Expense saved: 2.00 EUR · food · {today.isoformat()}"
    stored = {(e["amount"], e["currency"]) for e in (await client.get(
        "/api/expenses/", headers=alice)).json()}  # fmt: skip
    assert stored == {(20, "USD"), (1500, "JPY"), (2, "EUR")}
    assert "30.00 of 100.00 EUR" in await say(telegram, "/budget")
    await telegram.push(telegram.message_update(CHAT, "/report month"))
    [photo] = await telegram.wait_for("sendPhoto", chat_id=CHAT)
    assert "Spent: 30.00 EUR" in photo.params["caption"]
