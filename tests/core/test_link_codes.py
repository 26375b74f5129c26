"""Telegram link codes are stored as their SHA-256 (review L8): what the table holds
links nothing; the code itself still does, once, for ten minutes."""

import hashlib
from datetime import timedelta

from sqlalchemy import select, update

from core.models import TelegramLinkCode
from core.models.base import utcnow
from core.telegram.service import new_link_code, start
from tests.core.test_households_contract import user_named

CHAT = 424242


async def stored_codes(app) -> list[str]:
    async with app.state.database.session() as session:
        return list((await session.execute(select(TelegramLinkCode.code))).scalars())


async def test_the_table_holds_the_digest_not_the_code(app, alice):
    async with app.state.database.session() as session:
        code = await new_link_code(session, await user_named(session, "alice"))
    [stored] = await stored_codes(app)
    assert stored != code
    assert stored == hashlib.sha256(code.encode()).hexdigest()
    assert len(stored) == 64  # the column's width


async def test_the_code_links_and_the_stored_digest_does_not(app, alice):
    async with app.state.database.session() as session:
        code = await new_link_code(session, await user_named(session, "alice"))
    [stored] = await stored_codes(app)
    # Someone who read the table sends what they saw: nothing is linked.
    async with app.state.database.session() as session:
        started = await start(session, CHAT, stored)
    assert started.outcome == "bad-code"
    assert started.user.username != "alice"
    # The person's own code links their chat, once.
    async with app.state.database.session() as session:
        started = await start(session, CHAT + 1, code)
    assert (started.outcome, started.user.username) == ("linked", "alice")
    async with app.state.database.session() as session:
        again = await start(session, CHAT + 2, code)
    assert again.outcome == "bad-code"


async def test_an_expired_code_links_nothing(app, alice):
    async with app.state.database.session() as session:
        code = await new_link_code(session, await user_named(session, "alice"))
        await session.execute(
            update(TelegramLinkCode).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    async with app.state.database.session() as session:
        assert (await start(session, CHAT, code)).outcome == "bad-code"


async def test_a_code_stored_in_clear_before_the_upgrade_no_longer_links(app, alice):
    # Rows written by the old code held the code itself; they lived ten minutes.
    async with app.state.database.session() as session:
        user = await user_named(session, "alice")
        session.add(
            TelegramLinkCode(
                code="plain-old-code", user_id=user.id, expires_at=utcnow() + timedelta(minutes=5)
            )
        )
    async with app.state.database.session() as session:
        assert (await start(session, CHAT, "plain-old-code")).outcome == "bad-code"
