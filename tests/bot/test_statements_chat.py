"""A statement sent to the bot as a document, against the fake Bot API server; and the chat
side of rules, learning and `#tags`."""

import json
from pathlib import Path
from typing import Any

from tests.bot.test_bot import CHAT, bot_app, linked_alice, say  # noqa: F401
from tests.support.fake_telegram import FakeTelegram

FIXTURES = Path(__file__).parents[1] / "core" / "fixtures" / "statements"


def document_update(fake: FakeTelegram, name: str, content: bytes) -> dict[str, Any]:
    file_id = f"doc-{len(fake.files)}"
    fake.files[file_id] = content
    document = {
        "file_id": file_id,
        "file_unique_id": f"u{file_id}",
        "file_name": name,
        "file_size": len(content),
    }
    return fake.message_update(CHAT, document=document)


def long_statement(rows: int) -> bytes:
    lines = ["Date,Description,Amount"]
    lines += [f"2024-01-{n % 28 + 1:02d},SHOP {n},-{n % 90 + 1}.25" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def undo_data(call: Any) -> str:
    markup = call.params["reply_markup"]
    markup = json.loads(markup) if isinstance(markup, str) else markup
    return str(markup["inline_keyboard"][0][0]["callback_data"])


async def test_a_long_statement_shows_progress_then_counts_and_undo(bot_app, telegram):  # noqa: F811
    client, app = bot_app
    alice = await linked_alice(client, telegram)
    # Every call the bot makes to Telegram, with the connections checked out meanwhile:
    # none, so no network wait ever holds a connection or SQLite's writer lock.
    engine = app.state.database.engine
    held: list[tuple[str, int]] = []
    record = telegram._record

    def record_with_connections(call: Any) -> None:
        held.append((call.method, engine.pool.checkedout()))
        record(call)

    telegram._record = record_with_connections
    before = len(telegram.sent(chat_id=CHAT))
    await telegram.push(document_update(telegram, "bank.csv", long_statement(900)))
    # One progress message once the file is read, then edited into the counts.
    final = (await telegram.wait_for("editMessageText"))[-1]
    progress = telegram.sent(chat_id=CHAT)[before:]
    assert [p.params["text"] for p in progress] == [
        "Importing your statement… 900 rows read so far."
    ]
    assert final.params["text"].startswith(
        "Statement imported: 900 expenses and 0 incomes added, 0 already known."
    )
    assert held == [("getFile", 0), ("sendMessage", 0), ("editMessageText", 0)]
    spent = await client.get("/api/expenses/?limit=1", headers=alice)
    assert spent.headers["X-Total-Count"] == "900"

    await telegram.push(telegram.callback_update(CHAT, undo_data(final)))
    await telegram.wait_for("answerCallbackQuery")
    gone = await client.get("/api/expenses/?limit=1", headers=alice)
    assert gone.headers["X-Total-Count"] == "0"
    assert (await client.get("/api/imports/", headers=alice)).json() == []


async def test_a_short_statement_answers_the_counts_and_knows_duplicates(bot_app, telegram):  # noqa: F811
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    content = (FIXTURES / "statement.mt940").read_bytes()
    before = len(telegram.sent(chat_id=CHAT))
    await telegram.push(document_update(telegram, "konto.sta", content))
    answer = (await telegram.wait_for(chat_id=CHAT, count=before + 1))[-1]
    assert answer.params["text"] == (
        "Statement imported: 2 expenses and 1 incomes added, 0 already known."
    )
    assert undo_data(answer).startswith("imp-undo:")
    assert telegram.sent("editMessageText") == []
    await telegram.push(document_update(telegram, "konto.sta", content))
    again = (await telegram.wait_for(chat_id=CHAT, count=before + 2))[-1]
    assert again.params["text"] == (
        "Statement imported: 0 expenses and 0 incomes added, 3 already known."
    )
    assert len((await client.get("/api/expenses/", headers=alice)).json()) == 2


async def test_an_unreadable_document_is_refused_and_saves_nothing(bot_app, telegram):  # noqa: F811
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    before = len(telegram.sent(chat_id=CHAT))
    garbage = (FIXTURES / "garbage.txt").read_bytes()
    await telegram.push(document_update(telegram, "notes.txt", garbage))
    answer = (await telegram.wait_for(chat_id=CHAT, count=before + 1))[-1].params["text"]
    assert answer.startswith("I could not import that file: file: ")
    assert (await client.get("/api/imports/", headers=alice)).json() == []


async def test_chat_entries_follow_rules_then_learning_and_keep_tags(bot_app, telegram):  # noqa: F811
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    rule = {"contains": "netflix", "category": "subscriptions"}
    assert (await client.post("/api/rules/", headers=alice, json=rule)).status_code == 201
    await say(telegram, "netflix 12.99")
    await say(telegram, "taxi 18 #work #trip")
    expenses = (await client.get("/api/expenses/", headers=alice)).json()
    filed = {e["description"] or e["category"]: e for e in expenses}
    netflix = next(e for e in expenses if e["amount"] == 12.99)
    taxi = next(e for e in expenses if e["amount"] == 18)
    assert netflix["category"] == "subscriptions", filed  # the rule beats the guess
    assert taxi["tags"] == ["trip", "work"]
    # Re-filing in chat teaches the text: the next one is filed the same way.
    await telegram.push(telegram.callback_update(CHAT, f"rf:{taxi['id']}:transport"))
    await telegram.wait_for("answerCallbackQuery")
    await say(telegram, "taxi 22")
    newest = (await client.get("/api/expenses/?limit=1", headers=alice)).json()[0]
    assert (newest["amount"], newest["category"]) == (22, "transport")


async def test_rules_then_learning_file_chat_entries_new_and_edited(bot_app, telegram):  # noqa: F811
    """The words alone would file `uber 12.50` under "uber": the rule files it as transport,
    with no question; what a PATCH taught files the next `bolt`; an edited message is filed
    the same way as a new one."""
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    rule = {"contains": "uber", "category": "transport"}
    assert (await client.post("/api/rules/", headers=alice, json=rule)).status_code == 201
    before = len(telegram.sent(chat_id=CHAT))
    typed = telegram.message_update(CHAT, "uber 12.50")
    await telegram.push(typed)
    [answer] = (await telegram.wait_for(chat_id=CHAT, count=before + 1))[before:]
    assert answer.params["text"].startswith("Expense saved: 12.50 EUR · transport")

    await say(telegram, "bolt 9")
    bolt = (await client.get("/api/expenses/?limit=1", headers=alice)).json()[0]
    assert bolt["category"] == "bolt"  # nothing known yet: the guess from the words
    patched = await client.patch(
        f"/api/expenses/{bolt['id']}/", headers=alice, json={"category": "transport"}
    )
    assert patched.status_code == 200, patched.text
    assert (await say(telegram, "bolt 11")).startswith("Expense saved: 11.00 EUR · transport")

    # The uber message edited to name one of the person's categories: the words now say
    # "work", the rule still says transport, and the rule comes first.
    budget = {"category": "work", "limit": 100, "period": "monthly"}
    assert (await client.post("/api/budgets/", headers=alice, json=budget)).status_code == 201
    before = len(telegram.sent(chat_id=CHAT))
    edit = telegram.edited_update(CHAT, typed["message"]["message_id"], "uber work 14")
    await telegram.push(edit)
    [edited] = (await telegram.wait_for(chat_id=CHAT, count=before + 1))[before:]
    assert edited.params["text"].startswith("Updated: 14.00 EUR · transport")
    spent = {(e["amount"], e["category"]) for e in (await client.get(
        "/api/expenses/", headers=alice)).json()}  # fmt: skip
    assert spent == {(14, "transport"), (9, "transport"), (11, "transport")}


async def test_chat_files_by_the_first_rule_by_position_age_kind(bot_app, telegram):  # noqa: F811
    """The rules ride on the chat's one read before the message is filed: their order
    (position, then creation) and their kind must survive it."""
    client, _ = bot_app
    alice = await linked_alice(client, telegram)
    for rule in (
        {"contains": "uber", "category": "transport", "position": 5},
        {"contains": "eats", "category": "food", "position": 1},
        {"contains": "uber", "category": "paid back", "kind": "income", "position": 0},
        {"contains": "coffee", "category": "cafe", "position": 3},
        {"contains": "coffee", "category": "drinks", "position": 3},
    ):
        assert (await client.post("/api/rules/", headers=alice, json=rule)).status_code == 201
    assert (await say(telegram, "uber eats 20")).startswith("Expense saved: 20.00 EUR · food")
    assert (await say(telegram, "uber 7")).startswith("Expense saved: 7.00 EUR · transport")
    assert (await say(telegram, "+15 uber")).startswith("Income saved: 15.00 EUR · paid back")
    assert (await say(telegram, "coffee 3")).startswith("Expense saved: 3.00 EUR · cafe")
