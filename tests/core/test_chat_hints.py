"""What the chat files a message by, read in one statement: the budgets' categories
first (oldest budget first), then the most used categories (case-insensitive, most
used first), the newest filing of each word, and the re-file buttons."""

from core.telegram.service import TOP_BUTTONS, hints
from tests.core.test_households_contract import user_named


async def test_hints_order_budgets_use_and_the_newest_words(app, client, alice, bob):
    async def spend(headers, category, description="", day="2026-05-05"):
        body = {"category": category, "amount": 1, "description": description, "date": day}
        answer = await client.post("/api/expenses/", headers=headers, json=body)
        assert answer.status_code == 201, answer.text

    for category in ("rent", "gym"):
        budget = {"category": category, "limit": 50, "period": "monthly"}
        assert (await client.post("/api/budgets/", headers=alice, json=budget)).status_code == 201
    for _ in range(3):
        await spend(alice, "Coffee")
    await spend(alice, "coffee", "flat white at Ritual")
    for _ in range(2):
        await spend(alice, "taxi")
    await spend(alice, "gifts", "ritual notebook")  # the same text, filed again below
    await spend(alice, "books", "ritual notebook")  # the newest filing of "ritual"
    await spend(alice, "snacks")
    await spend(alice, "zoo")
    await spend(bob, "bob-only", "ritual")  # another person's filings never count

    async with app.state.database.session() as session:
        found = await hints(session, await user_named(session, "alice"))

    # Most used first; a tie by name; "Coffee"/"coffee" are one category.
    used = ["Coffee", "taxi", "books", "gifts", "snacks", "zoo"]
    assert found.categories == ("rent", "gym", *used)
    assert found.top == used[:TOP_BUTTONS]
    assert found.words == {
        "flat": "coffee",
        "white": "coffee",
        "ritual": "books",
        "notebook": "books",
    }


async def test_a_person_without_entries_has_empty_hints(app, client, alice):
    async with app.state.database.session() as session:
        found = await hints(session, await user_named(session, "alice"))
    assert (found.categories, found.top, found.words) == ((), [], {})
