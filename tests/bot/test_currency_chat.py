"""SPEC 5 in chat: the parsed currency is recorded, the reply shows both amounts,
/report and /budget count base amounts."""

from decimal import Decimal

from core.currencies.ecb import DailyRate
from core.currencies.service import ensure_rates_loaded
from core.periods import local_today
from tests.bot.test_bot import CHAT, bot_app, linked_alice, say
from tests.core.rates_support import set_rates

__all__ = ["bot_app"]  # the fixture, shared with the bot's own tests


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
    # A limit no month's pace can reach from 30 (a pace alert early in a month would slip
    # in between the replies read below).
    budget = {"category": "food", "limit": 1000, "period": "monthly"}
    await client.post("/api/budgets/", json=budget, headers=alice)
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
    assert "30.00 of 1000.00 EUR" in await say(telegram, "/budget")
    await telegram.push(telegram.message_update(CHAT, "/report month"))
    [photo] = await telegram.wait_for("sendPhoto", chat_id=CHAT)
    assert "Spent: 30.00 EUR" in photo.params["caption"]


async def test_budget_goals_save_and_report_use_the_base_currencys_decimals(bot_app, telegram):
    """A JPY base prints no decimals and a KWD base three, everywhere the bot shows money."""
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    today = local_today("UTC").isoformat()
    # Limits no month's pace can reach from what is spent (a pace alert from the third day
    # of a month on would slip in between the replies read below).
    cases = [
        ("JPY", "50000", "1500", "100000", "2500", "500", "1500 of 50000 JPY", "2500 of 100000 JPY",
         "Added 500 to trip: 3000 of 100000 JPY saved.", "Spent: 1500 JPY", "• food: 1500"),
        ("KWD", "125.5", "1.25", "100.125", "2.5", "0.125", "1.250 of 125.500 KWD",
         "2.500 of 100.125 KWD", "Added 0.125 to trip: 2.625 of 100.125 KWD saved.",
         "Spent: 1.250 KWD", "• food: 1.250"),
    ]  # fmt: skip
    for currency, limit, spent, target, saved, added, *shown in cases:
        for path in ("expenses", "budgets", "goals"):  # each base starts empty
            for item in (await client.get(f"/api/{path}/", headers=alice)).json():
                await client.delete(f"/api/{path}/{item['id']}/", headers=alice)
        answer = await client.patch("/api/auth/me/", headers=alice, json={"currency": currency})
        assert answer.status_code == 200, answer.text
        budget = {"category": "food", "limit": limit, "period": "monthly"}
        assert (await client.post("/api/budgets/", json=budget, headers=alice)).status_code == 201
        expense = {"category": "food", "amount": spent, "date": today}
        assert (await client.post("/api/expenses/", json=expense, headers=alice)).status_code == 201
        goal = {"target_amount": target, "saved_amount": saved, "description": "trip",
                "deadline": "2030-01-01"}  # fmt: skip
        assert (await client.post("/api/goals/", json=goal, headers=alice)).status_code == 201
        budget_line, goal_line, save_line, spent_line, category_line = shown
        assert budget_line in await say(telegram, "/budget")
        assert goal_line in await say(telegram, "/goals")
        assert await say(telegram, f"/save {added} trip") == save_line
        before = len(telegram.sent("sendPhoto", chat_id=CHAT))
        await telegram.push(telegram.message_update(CHAT, "/report month"))
        photo = (await telegram.wait_for("sendPhoto", chat_id=CHAT, count=before + 1))[-1]
        assert spent_line in photo.params["caption"]
        assert category_line in photo.params["caption"].splitlines()


async def test_an_entry_in_a_currency_without_a_rate_is_answered_with_the_reason(bot_app, telegram):
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    answer = await say(telegram, "lunch 2000 XAF")
    assert answer.startswith("Not saved: no exchange rate for XAF on or before")
    assert (await client.get("/api/expenses/", headers=alice)).json() == []
