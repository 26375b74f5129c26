"""A household's Telegram group (SPEC 8) against the fake Bot API server: a group with
two linked members (ana, ben), a linked non-member (cara) and a stranger who never
wrote to the bot."""

import asyncio
from typing import Any

import httpx
from sqlalchemy import func, select

from bot.delivery import ChatDelivery
from core.db import Database
from core.models import (
    Expense,
    Household,
    HouseholdChatPost,
    HouseholdMember,
    Settlement,
    User,
)
from core.periods import local_today
from tests.bot.test_bot import bot_app, say  # noqa: F401
from tests.conftest import make_user
from tests.support.alerts import is_pace
from tests.support.fake_telegram import BOT_ID, BOT_USERNAME, FakeTelegram

GROUP = -100123
ANA, BEN, CARA, STRANGER = 701, 702, 703, 704
NAMES = {ANA: "ana", BEN: "ben", CARA: "cara", STRANGER: "zed"}
SETTLE_WAIT = 0.6  # seconds in which an answer to a message would have been sent
# To someone who is no member of the group's household: nothing of it (name, id).
NOT_FOR_YOU = (
    "That is for the members of this group's household. Ask a member for an invite, "
    "and join with its code."
)


async def link(client: httpx.AsyncClient, fake: FakeTelegram, tg_id: int) -> dict[str, str]:
    """A finbot account whose private chat with the bot is `tg_id`'s."""
    headers = await make_user(client, NAMES[tg_id])
    code = (await client.post("/api/telegram/link/", headers=headers)).json()["code"]
    assert "linked" in await say(fake, f"/start {code}", chat=tg_id)
    return headers


def replies_to(fake: FakeTelegram, message_id: int) -> list[str]:
    return [
        str(call.params["text"])
        for call in fake.sent(chat_id=GROUP)
        if (call.params.get("reply_parameters") or {}).get("message_id") == message_id
    ]


async def write(fake: FakeTelegram, sender: int, text: str) -> int:
    """`sender` writes `text` in the group; the message's id."""
    update = fake.group_update(GROUP, sender, text, username=NAMES[sender])
    await fake.push(update)
    return int(update["message"]["message_id"])


async def said(fake: FakeTelegram, sender: int, text: str) -> str:
    """`sender` writes `text` in the group; the bot's answer to it."""
    message_id = await write(fake, sender, text)
    for _ in range(200):
        answers = replies_to(fake, message_id)
        if answers:
            return answers[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no answer to {text!r}: {fake.sent(chat_id=GROUP)}")


async def unanswered(fake: FakeTelegram, sender: int, *messages: str) -> None:
    """Each message gets no answer at all in the group."""
    ids = [await write(fake, sender, text) for text in messages]
    await said(fake, ANA, "/help")  # handled after them, or beside them...
    await asyncio.sleep(SETTLE_WAIT)  # ...so give any answer to them the time to come
    for message_id, text in zip(ids, messages, strict=True):
        assert replies_to(fake, message_id) == [], text


async def rows(app: Any, query: Any) -> list[Any]:
    async with app.state.database.session() as session:
        return list((await session.execute(query)).scalars())


async def user_id(app: Any, username: str) -> int:
    [found] = await rows(app, select(User.id).where(User.username == username))
    return int(found)


async def add_member(app: Any, household_id: int, username: str) -> None:
    """As joining with an invite does (the invite itself is the API's, tested there)."""
    async with app.state.database.session() as session:
        session.add(
            HouseholdMember(
                household_id=household_id, user_id=await user_id(app, username), role="member"
            )
        )


async def bound_household(fake: FakeTelegram, app: Any) -> Household:
    """ana binds the group (a new household named after it), and ben joins."""
    answer = await said(fake, ANA, "/household")
    assert answer.startswith("I made the household Flat 4B for this group")
    [household] = await rows(app, select(Household).where(Household.chat_id == GROUP))
    await add_member(app, household.id, "ben")
    return household


async def test_household_binds_the_group_and_says_when_it_cannot_read_it(bot_app, telegram):  # noqa: F811
    client, app = bot_app
    # Added to the group, the bot says what comes next, and that it cannot read it yet.
    joined = telegram.group_update(GROUP, STRANGER, "", username="zed")
    del joined["message"]["text"]
    joined["message"]["new_chat_members"] = [
        {"id": BOT_ID, "is_bot": True, "first_name": "finbot", "username": BOT_USERNAME}
    ]
    await telegram.push(joined)
    [hello] = await telegram.wait_for(chat_id=GROUP)
    assert hello.params["text"].startswith("Hello! I keep a household's shared money diary.")
    assert "I can't see the plain messages in this group yet" in hello.params["text"]
    # A stranger cannot bind anything: they are told how to link first.
    answer = await said(telegram, STRANGER, "/household")
    assert answer.startswith("I don't know you yet. Open a private chat with me")
    assert f"https://t.me/{BOT_USERNAME}" in answer
    await link(client, telegram, ANA)
    await link(client, telegram, BEN)
    answer = await said(telegram, ANA, "/household")
    # Privacy mode is on and the bot is no admin: it says how to let it read the group.
    assert "I can't see the plain messages in this group yet" in answer
    assert "/setprivacy" in answer and "admin" in answer
    [household] = await rows(app, select(Household).where(Household.chat_id == GROUP))
    assert (household.name, household.currency) == ("Flat 4B", "EUR")
    [owner] = await rows(
        app, select(HouseholdMember).where(HouseholdMember.household_id == household.id)
    )
    assert (owner.user_id, owner.role) == (await user_id(app, "ana"), "owner")
    telegram.reads_all_group_messages = True  # privacy mode turned off in BotFather
    # ben is no member of it: he learns nothing of it.
    again = await said(telegram, BEN, "/household")
    assert again == NOT_FOR_YOU
    assert await said(telegram, ANA, "/household") == (
        "This group is already the chat of the household Flat 4B."
    )
    assert len(await rows(app, select(Household))) == 1

    # Another group, bound by ben, who owns two households without a group: he names
    # one; as an admin there the bot reads everything, and says nothing about it.
    async with app.state.database.session() as session:
        ben_id = await user_id(app, "ben")
        for name in ("Cabin", "Office"):
            home = Household(name=name, currency="EUR")
            session.add(home)
            await session.flush()
            session.add(HouseholdMember(household_id=home.id, user_id=ben_id, role="owner"))
    other = GROUP - 1
    telegram.reads_all_group_messages = False
    telegram.admin_in.add(other)
    update = telegram.group_update(other, BEN, "/household cabin", username="ben", title="Trip")
    await telegram.push(update)
    [bound] = await telegram.wait_for(chat_id=other)
    assert bound.params["text"].startswith("This group is now the chat of the household Cabin.")
    assert "can't see" not in bound.params["text"]
    [cabin] = await rows(app, select(Household).where(Household.chat_id == other))
    assert cabin.name == "Cabin"


async def test_members_record_shared_entries_and_nobody_else_does(bot_app, telegram):  # noqa: F811
    client, app = bot_app
    ana = await link(client, telegram, ANA)
    await link(client, telegram, BEN)
    await link(client, telegram, CARA)
    household = await bound_household(telegram, app)
    today = local_today("UTC").isoformat()

    saved = await said(telegram, ANA, "coffee 4.50")
    assert saved == f"@ana: Expense saved: 4.50 EUR · coffee · {today} (shared)"
    assert await said(telegram, BEN, "groceries 30") == (
        f"@ben: Expense saved: 30.00 EUR · groceries · {today} (shared)"
    )
    shared = await rows(app, select(Expense).order_by(Expense.id))
    assert [(e.user_id, e.amount, e.household_id) for e in shared] == [
        (await user_id(app, "ana"), 4.50, household.id),
        (await user_id(app, "ben"), 30, household.id),
    ]
    # Each sender's own entry, as the API shows it to them.
    [own] = (await client.get("/api/expenses/", headers=ana)).json()
    assert (own["category"], own["household_id"]) == ("coffee", household.id)

    # A member fixes a typo by editing the message: the shared entry follows.
    coffee = next(
        call.params["reply_parameters"]["message_id"]
        for call in telegram.sent(chat_id=GROUP)
        if call.params["text"].startswith("@ana: Expense saved: 4.50")
    )
    edit = telegram.group_update(GROUP, ANA, "coffee 5", username="ana")
    edit["message"].update(message_id=coffee, edit_date=edit["message"]["date"])
    before = len(telegram.sent(chat_id=GROUP))
    await telegram.push({"edited_message": edit["message"]})
    updated = (await telegram.wait_for(chat_id=GROUP, count=before + 1))[before]
    assert updated.params["text"] == f"@ana: Updated: 5.00 EUR · coffee · {today} (shared)"
    shared = await rows(app, select(Expense).order_by(Expense.id))
    assert [(e.amount, e.household_id) for e in shared] == [(5, household.id), (30, household.id)]

    # The stranger is told how to link; cara, linked but no member, that she needs an
    # invite. Neither records anything.
    answer = await said(telegram, STRANGER, "pizza 12")
    assert answer.startswith("I don't know you yet, so I saved nothing.")
    answer = await said(telegram, CARA, "pizza 12")
    assert answer.startswith("You are not a member of this group's household, so I saved")
    assert "invite" in answer and "Flat 4B" not in answer
    assert len(await rows(app, select(Expense.id))) == 2

    # People talk in a group: what is no entry gets no answer, whoever wrote it; and
    # nobody's private figures are answered there.
    await unanswered(telegram, ANA, "see you at 7 tonight", "hello everyone", "/budget")
    await unanswered(telegram, ANA, "how much did I spend on coffee this month?")
    await unanswered(telegram, STRANGER, "hi all, who is cooking?")
    await unanswered(telegram, CARA, "lol")
    assert len(await rows(app, select(Expense.id))) == 2
    # The senders' Telegram names are remembered, for /settle.
    names = await rows(app, select(User.telegram_username).order_by(User.id))
    assert names == ["ana", "ben", "cara"]


async def test_only_the_sender_may_undo_their_entry(bot_app, telegram):  # noqa: F811
    client, app = bot_app
    await link(client, telegram, ANA)
    await link(client, telegram, BEN)
    await bound_household(telegram, app)
    await said(telegram, ANA, "taxi 18")
    undo = telegram.sent(chat_id=GROUP)[-1].params["reply_markup"]["inline_keyboard"][-1][0]
    assert undo["text"] == "↩ Undo"
    await telegram.push(telegram.callback_update(GROUP, undo["callback_data"], sender_id=BEN))
    [refused] = await telegram.wait_for("answerCallbackQuery")
    assert refused.params["text"] == "Only whoever wrote it can change that."
    assert len(await rows(app, select(Expense.id))) == 1
    await telegram.push(telegram.callback_update(GROUP, undo["callback_data"], sender_id=ANA))
    answers = await telegram.wait_for("answerCallbackQuery", count=2)
    assert answers[-1].params["text"] == "Undone: expense of 18.00 (taxi)."
    assert await rows(app, select(Expense.id)) == []


async def test_balance_and_settle(bot_app, telegram):  # noqa: F811
    client, app = bot_app
    await link(client, telegram, ANA)
    await link(client, telegram, BEN)
    await link(client, telegram, CARA)
    await bound_household(telegram, app)
    assert await said(telegram, ANA, "/balance") == "Everyone in Flat 4B is settled up."
    await said(telegram, ANA, "coffee 4.50")
    await said(telegram, BEN, "groceries 30")
    await said(telegram, CARA, "cinema 10")  # not a member: no part of it
    # Each owes half of 34.50: ana paid 4.50 of her 17.25.
    assert await said(telegram, BEN, "/balance") == (
        "Who owes whom in Flat 4B (EUR):\n• @ana → @ben: 12.75 EUR"
    )
    assert await said(telegram, ANA, "/settle @nobody 5") == (
        "I don't know @nobody. Members: @ana, @ben."
    )
    assert await said(telegram, ANA, "/settle @cara 5") == "@cara is not a member of Flat 4B."
    assert await said(telegram, ANA, "/settle @ana 5") == "You can't settle with yourself."
    usage = "Write it like this: /settle @name 20 — you paid @name 20."
    assert await said(telegram, ANA, "/settle @ben lots") == usage
    assert await said(telegram, ANA, "/settle 12") == usage
    assert (await said(telegram, ANA, "/settle @ben -3")).startswith("-3 is not an amount")
    assert (await said(telegram, ANA, "/settle @ben 1.234")).startswith("1.234 is not an amount")
    assert await said(telegram, CARA, "/balance") == NOT_FOR_YOU
    assert await said(telegram, ANA, "/settle @ben 12,75") == "Recorded: @ana paid @ben 12.75 EUR."
    assert await said(telegram, BEN, "/balance") == "Everyone in Flat 4B is settled up."


async def test_a_group_post_is_delivered_once_by_two_senders(bot_app, telegram, settings):  # noqa: F811
    client, app = bot_app
    await link(client, telegram, ANA)
    async with app.state.database.session() as session:
        home = Household(name="Home", currency="EUR")
        session.add(home)
        await session.flush()
        session.add(
            HouseholdMember(household_id=home.id, user_id=await user_id(app, "ana"), role="owner")
        )
        # Made before the household had a group: for no one, so never posted.
        session.add(
            HouseholdChatPost(household_id=home.id, kind="budget", message="old", dedupe_key="k0")
        )
    answer = await said(telegram, ANA, "/household")
    assert answer.startswith("This group is now the chat of the household Home.")
    alert = "Home · food: 85.00 of 100.00 EUR spent this month (85 %)"
    telegram.fail_next["sendMessage"] = [(502, {"description": "Bad Gateway"})]
    async with app.state.database.session() as session:
        session.add(
            HouseholdChatPost(household_id=home.id, kind="budget", message=alert, dedupe_key="k1")
        )
    # Two more senders, each with its own engine, as two bot processes have, beside
    # the one the fixture runs.
    databases = [Database(settings.database_url) for _ in range(2)]
    senders = [ChatDelivery(app.state.bot, database) for database in databases]
    try:
        for _ in range(40):
            await asyncio.gather(*(sender.run_once() for sender in senders))
            if any(c.params.get("text") == alert and c.status == 200 for c in telegram.calls):
                break
            await asyncio.sleep(0.25)
        await asyncio.sleep(1.5)  # every sender takes another round
        await asyncio.gather(*(sender.run_once() for sender in senders))
    finally:
        for database in databases:
            await database.dispose()
    posted = [c for c in telegram.sent(chat_id=GROUP) if c.params.get("text") == alert]
    assert [c.status for c in posted] == [502, 200]  # one failure, retried, then once
    assert not [c for c in telegram.sent(chat_id=GROUP) if c.params.get("text") == "old"]
    async with app.state.database.session() as session:
        undelivered = await session.execute(
            select(func.count()).where(HouseholdChatPost.delivered_at.is_(None))
        )
        assert undelivered.scalar_one() == 0


async def test_two_readings_are_asked_of_their_sender_only(bot_app, telegram):  # noqa: F811
    client, app = bot_app
    await link(client, telegram, ANA)
    await link(client, telegram, BEN)
    household = await bound_household(telegram, app)
    today = local_today("UTC").isoformat()
    assert await said(telegram, ANA, "12 13 lunch") == (
        "I can read that two ways, so nothing is saved yet. Which one did you mean?"
    )
    first, second = [
        row[0] for row in telegram.sent(chat_id=GROUP)[-1].params["reply_markup"]["inline_keyboard"]
    ]
    assert (first["text"], second["text"]) == (
        f"12.00 EUR · lunch · {today}",
        f"13.00 EUR · lunch · {today}",
    )
    assert await rows(app, select(Expense.id)) == []  # nothing on a guess
    await telegram.push(telegram.callback_update(GROUP, second["callback_data"], sender_id=BEN))
    [refused] = await telegram.wait_for("answerCallbackQuery")
    assert refused.params["text"] == "Only whoever wrote it can change that."
    pressed = telegram.callback_update(
        GROUP, second["callback_data"], sender_id=ANA, username="ana"
    )
    await telegram.push(pressed)
    [edit] = await telegram.wait_for("editMessageText")
    assert edit.params["text"] == f"@ana: Expense saved: 13.00 EUR · lunch · {today} (shared)"
    [expense] = await rows(app, select(Expense))
    assert (expense.amount, expense.household_id) == (13, household.id)


async def test_a_group_that_becomes_a_supergroup_keeps_its_household(bot_app, telegram):  # noqa: F811
    client, app = bot_app
    await link(client, telegram, ANA)
    await link(client, telegram, BEN)
    household = await bound_household(telegram, app)
    supergroup = -1009999
    moved = telegram.group_update(GROUP, ANA, "", username="ana")
    del moved["message"]["text"]
    moved["message"]["migrate_to_chat_id"] = supergroup
    await telegram.push(moved)
    for _ in range(100):
        found = await rows(app, select(Household.chat_id).where(Household.id == household.id))
        if found == [supergroup]:
            break
        await asyncio.sleep(0.05)
    assert found == [supergroup]


async def test_settle_with_a_member_who_has_no_telegram_name(bot_app, telegram):  # noqa: F811
    client, app = bot_app
    await link(client, telegram, ANA)
    await link(client, telegram, BEN)
    await bound_household(telegram, app)
    # Telegram's mention of someone without an @name carries the person, not a name.
    text = "/settle Ben B 7.50"
    update = telegram.group_update(GROUP, ANA, text, username="ana")
    update["message"]["entities"].append(
        {
            "type": "text_mention",
            "offset": len("/settle "),
            "length": len("Ben B"),
            "user": {"id": BEN, "is_bot": False, "first_name": "Ben"},
        }
    )
    await telegram.push(update)
    message_id = update["message"]["message_id"]
    for _ in range(200):
        if replies_to(telegram, message_id):
            break
        await asyncio.sleep(0.05)
    assert replies_to(telegram, message_id) == ["Recorded: @ana paid ben 7.50 EUR."]
    assert await said(telegram, BEN, "/balance") == (
        "Who owes whom in Flat 4B (EUR):\n• @ben → @ana: 7.50 EUR"
    )


async def test_a_shared_budget_alert_reaches_the_group_and_each_member_once(bot_app, telegram):  # noqa: F811
    client, app = bot_app
    ana = await link(client, telegram, ANA)
    await link(client, telegram, BEN)
    household = await bound_household(telegram, app)
    created = await client.post(
        "/api/budgets/",
        headers=ana,
        json={"category": "food", "limit": 10, "period": "monthly", "household_id": household.id},
    )
    assert created.status_code == 201, created.text
    await said(telegram, ANA, "food 4")
    await said(telegram, BEN, "food 5")  # 9 of 10 between them: past 80 %
    await said(telegram, BEN, "food 0.50")  # short of 100 %: no new alert
    alert = "Flat 4B · food: 9.00 of 10.00 EUR spent this month (90 %)"
    chats = (GROUP, ANA, BEN)  # the group, and each member's private chat

    def alerts(chat: int) -> list[str]:
        return [
            c.params["text"]
            for c in telegram.sent(chat_id=chat)
            if "· food:" in c.params["text"] and not is_pace(c.params["text"])
        ]

    for _ in range(100):
        if all(alerts(chat) for chat in chats):
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.5)  # another delivery round sends nothing more
    assert [alerts(chat) for chat in chats] == [[alert]] * 3


async def test_a_shared_entry_without_a_rate_into_the_households_currency_is_not_saved(
    bot_app,  # noqa: F811
    telegram,
):
    """ben keeps his books in XAF, which has no rate into the household's EUR: he is
    told why his entry is not saved, instead of an apology, and nothing is written."""
    client, app = bot_app
    await link(client, telegram, ANA)
    ben = await link(client, telegram, BEN)
    assert (await client.patch("/api/auth/me/", headers=ben, json={"currency": "XAF"})).is_success
    await bound_household(telegram, app)
    answer = await said(telegram, BEN, "groceries 300")
    assert answer.startswith("Not saved: no exchange rate between XAF and the household's EUR")
    assert await rows(app, select(Expense.id)) == []
    today = local_today("UTC").isoformat()
    assert await said(telegram, ANA, "coffee 4.50") == (
        f"@ana: Expense saved: 4.50 EUR · coffee · {today} (shared)"
    )


async def test_only_the_owner_binds_and_unbinds_the_group(bot_app, telegram):  # noqa: F811
    client, app = bot_app
    await link(client, telegram, ANA)
    await link(client, telegram, BEN)
    await link(client, telegram, CARA)
    # ben, a member (not the owner) of ana's household, cannot send its alerts to a
    # group of his choice; nothing is bound, nothing made.
    async with app.state.database.session() as session:
        home = Household(name="Home", currency="EUR")
        session.add(home)
        await session.flush()
        for name, role in (("ana", "owner"), ("ben", "member")):
            session.add(
                HouseholdMember(household_id=home.id, user_id=await user_id(app, name), role=role)
            )
    assert await said(telegram, BEN, "/household") == (
        "Only the owner of Home (ana) can make a group its chat. To keep a household of "
        "your own here, create one in the app and send /household <its name>."
    )
    assert (await said(telegram, BEN, "/household home")).startswith("Only the owner of Home")
    assert len(await rows(app, select(Household))) == 1
    assert await rows(app, select(Household.chat_id)) == [None]
    assert (await said(telegram, ANA, "/household")).startswith(
        "This group is now the chat of the household Home."
    )
    # Unbinding: a stranger learns nothing, a member is told who can, the owner does it.
    assert await said(telegram, CARA, "/household unbind") == NOT_FOR_YOU
    assert await said(telegram, BEN, "/household unbind") == (
        "Only the owner of Home (@ana) can unbind it from this group."
    )
    assert await rows(app, select(Household.chat_id)) == [GROUP]
    assert await said(telegram, ANA, "/household unbind") == (
        "This group is no longer the chat of the household Home: I read nothing here any "
        "more. Its owner can send /household here again."
    )
    assert await rows(app, select(Household.chat_id)) == [None]
    assert await said(telegram, ANA, "/household unbind") == (
        "This group is not a household's chat yet. A member sends /household here first."
    )
    await unanswered(telegram, BEN, "coffee 4")  # not a household's group any more
    assert await rows(app, select(Expense.id)) == []


async def test_settle_refuses_a_name_two_members_answer_to(bot_app, telegram):  # noqa: F811
    client, app = bot_app
    await link(client, telegram, ANA)
    await link(client, telegram, BEN)
    await bound_household(telegram, app)
    # ben takes the Telegram @name "ana", ana's finbot username (ana's own is "ana_tg").
    await telegram.push(telegram.group_update(GROUP, ANA, "hello", username="ana_tg"))
    await telegram.push(telegram.group_update(GROUP, BEN, "hello there", username="ana"))
    for _ in range(100):  # remembered as those updates end
        names = await rows(app, select(User.telegram_username).order_by(User.id))
        if names == ["ana_tg", "ana"]:
            break
        await asyncio.sleep(0.05)
    assert names == ["ana_tg", "ana"]
    answer = await said(telegram, ANA, "/settle @ana 20")
    assert answer == (
        "Several members answer to @ana: @ana (finbot: ben), @ana_tg (finbot: ana). "
        "Mention the one you mean (tap their name), or write their @name that nobody "
        "else has."
    )
    assert await rows(app, select(Settlement.id)) == []


async def test_a_too_long_message_is_answered_to_a_member_only(bot_app, telegram):  # noqa: F811
    client, app = bot_app
    await link(client, telegram, ANA)
    await link(client, telegram, BEN)
    await link(client, telegram, CARA)
    await bound_household(telegram, app)
    long = "coffee 4.50 " + "a" * 1000
    assert await said(telegram, ANA, long) == (
        "That message is too long for me (over 1,000 characters), so nothing was recorded."
        " One entry per message, e.g.: coffee 4.50"
    )
    await unanswered(telegram, CARA, long)
    await unanswered(telegram, STRANGER, "@" * 4096)
    assert await rows(app, select(Expense.id)) == []
    # Up to the limit, an entry is read as ever.
    assert (await said(telegram, ANA, "coffee 4.50 " + "a" * 980)).startswith("@ana: Expense")


async def test_an_invite_link_joins_only_after_the_person_says_yes(bot_app, telegram):  # noqa: F811
    client, app = bot_app
    ana = await make_user(client, "ana")
    flat = (await client.post("/api/households/", json={"name": "Flat"}, headers=ana)).json()
    code = (await client.post(f"/api/households/{flat['id']}/invites/", headers=ana)).json()
    newcomer = 888
    start = f"/start join-{code['code']}"
    question = await say(telegram, start, chat=newcomer)
    assert question.startswith("Join the household Flat?")
    [buttons] = telegram.sent(chat_id=newcomer)[-1].params["reply_markup"]["inline_keyboard"]
    assert [b["text"] for b in buttons] == ["Join", "Cancel"]
    # Nothing yet: no account made, nobody joined, the code unused.
    assert await rows(app, select(User.id).where(User.username != "ana")) == []
    members = (await client.get(f"/api/households/{flat['id']}/", headers=ana)).json()["members"]
    assert len(members) == 1
    await telegram.push(telegram.callback_update(newcomer, buttons[1]["callback_data"]))
    [declined] = await telegram.wait_for("editMessageText")
    assert declined.params["text"].startswith("You did not join.")
    assert (
        len((await client.get(f"/api/households/{flat['id']}/", headers=ana)).json()["members"])
        == 1
    )
    await telegram.push(telegram.callback_update(newcomer, buttons[0]["callback_data"]))
    joined = (await telegram.wait_for("editMessageText", count=2))[-1]
    assert joined.params["text"].startswith("You joined the household Flat")
    members = (await client.get(f"/api/households/{flat['id']}/", headers=ana)).json()["members"]
    assert len(members) == 2
    # A second press, or the link again: the code is used.
    await telegram.push(telegram.callback_update(newcomer, buttons[0]["callback_data"]))
    again = (await telegram.wait_for("editMessageText", count=3))[-1]
    assert "used or expired" in again.params["text"]
    assert "used or expired" in await say(telegram, start, chat=newcomer)
    assert "used or expired" in await say(telegram, "/start join-nonsense", chat=889)
