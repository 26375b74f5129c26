"""Storing an upload's bytes (the disk, or S3 over the network) holds no pooled
connection and, on SQLite, not the writer lock (review M6); and an upload whose row
is not written leaves no stored object.

The store's put is spied on: while it runs, the pool must have nothing checked out and
the cross-process writer lock (Database.writer_lock, a flock on its `path`) must be
free, which a lock attempt on a descriptor of our own tells.
"""

import fcntl
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update

from core.db import Database
from core.models import AuthToken, Document, Expense
from core.models.base import utcnow
from tests.bot import test_bot as chat
from tests.bot.conftest import telegram

bot_app = chat.bot_app
telegram = telegram  # the fake Bot API server, for bot_app
JPEG = b"\xff\xd8\xff\xe0" + os.urandom(20_000)


def writer_lock_free(database: Database) -> bool:
    """Whether no writer holds SQLite's writer lock now (always so on PostgreSQL)."""
    if database.writer_lock is None:
        return True
    fd = os.open(database.writer_lock.path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a descriptor of its own: it conflicts
    except BlockingIOError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)


def spy_on_put(
    monkeypatch: pytest.MonkeyPatch, app: Any, meanwhile: Any = None
) -> list[tuple[int, bool]]:
    """(connections checked out, writer lock free) at each put; `meanwhile` runs first."""
    database: Database = app.state.database
    store = app.state.store
    real = store.put
    seen: list[tuple[int, bool]] = []

    async def put(key: str, source: Any, content_type: str) -> None:
        pool: Any = database.engine.pool  # QueuePool (AsyncAdaptedQueuePool) on both
        seen.append((pool.checkedout(), writer_lock_free(database)))
        if meanwhile is not None:
            await meanwhile()
        await real(key, source, content_type)

    monkeypatch.setattr(store, "put", put)  # the API and the bot share this store
    return seen


def spy_on_delete(monkeypatch: pytest.MonkeyPatch, app: Any) -> list[tuple[int, bool]]:
    """(connections checked out, writer lock free) at each delete from the store."""
    database: Database = app.state.database
    store = app.state.store
    real = store.delete
    seen: list[tuple[int, bool]] = []

    async def delete(key: str) -> None:
        pool: Any = database.engine.pool
        seen.append((pool.checkedout(), writer_lock_free(database)))
        await real(key)

    monkeypatch.setattr(store, "delete", delete)
    return seen


def stored_files(app: Any) -> list[Path]:
    return [p for p in (app.state.settings.storage_dir / "documents").rglob("*") if p.is_file()]


async def document_count(database: Database) -> int:
    async with database.session() as session:
        return int((await session.execute(select(func.count()).select_from(Document))).scalar_one())


async def age_tokens(database: Database) -> None:
    """Tokens last used minutes ago: authenticating with one writes (it is used now)."""
    async with database.session() as session:
        await session.execute(update(AuthToken).values(last_used_at=utcnow() - timedelta(hours=1)))


async def test_api_upload_stores_the_bytes_with_no_connection_and_no_writer_lock(
    app, client, alice, monkeypatch: pytest.MonkeyPatch
):
    database: Database = app.state.database
    expense = (
        await client.post("/api/expenses/", headers=alice, json={"category": "food", "amount": 45})
    ).json()
    await age_tokens(database)  # so auth writes before the upload (on SQLite: the lock)
    seen = spy_on_put(monkeypatch, app)
    answer = await client.post(
        "/api/documents/upload/",
        headers=alice,
        files={"file": ("receipt.jpg", JPEG)},
        data={"expense_id": str(expense["id"])},
    )
    assert answer.status_code == 201, answer.text
    assert seen == [(0, True)]
    assert answer.json()["expense_id"] == expense["id"]
    async with database.session() as session:
        [used] = (await session.execute(select(AuthToken.last_used_at))).scalars().all()
    assert utcnow() - used < timedelta(minutes=1)  # auth did write, before the bytes went
    got = await client.get(answer.json()["url"].removeprefix("http://finbot.test"))
    assert got.content == JPEG


async def test_an_upload_whose_row_fails_leaves_no_stored_object(
    app, client, alice, monkeypatch: pytest.MonkeyPatch
):
    database: Database = app.state.database
    expense = (
        await client.post("/api/expenses/", headers=alice, json={"category": "food", "amount": 45})
    ).json()

    async def delete_the_expense() -> None:  # while the bytes are stored: the row cannot be
        async with database.session() as session:
            await session.execute(delete(Expense).where(Expense.id == expense["id"]))

    seen = spy_on_put(monkeypatch, app, delete_the_expense)
    deletes = spy_on_delete(monkeypatch, app)
    answer = await client.post(
        "/api/documents/upload/",
        headers=alice,
        files={"file": ("receipt.jpg", JPEG)},
        data={"expense_id": str(expense["id"])},
    )
    assert len(seen) == 1  # the bytes were stored, then the row failed
    assert answer.status_code == 404, answer.text
    assert answer.json()["detail"] == "expense not found"
    assert deletes == [(0, True)]  # the failed insert was rolled back first (its lock too)
    assert stored_files(app) == []
    assert await document_count(database) == 0


async def test_a_captioned_photo_is_stored_before_its_entry_is_written(
    bot_app, telegram, monkeypatch: pytest.MonkeyPatch
):
    client, app = bot_app
    alice = await chat.linked_alice(client, telegram)
    seen = spy_on_put(monkeypatch, app)
    await telegram.push(telegram.photo_update(chat.CHAT, JPEG, caption="dinner 45"))
    answer = (await telegram.wait_for(chat_id=chat.CHAT, count=2))[-1].params["text"]
    assert answer.startswith("Expense saved: 45.00 EUR · dinner")
    assert seen == [(0, True)]
    [expense] = (await client.get("/api/expenses/", headers=alice)).json()
    assert len(expense["document_ids"]) == 1  # the entry and the document, one transaction


async def test_a_photo_without_caption_is_stored_with_no_connection_held(
    bot_app, telegram, monkeypatch: pytest.MonkeyPatch
):
    client, app = bot_app
    await chat.linked_alice(client, telegram)
    seen = spy_on_put(monkeypatch, app)
    await telegram.push(telegram.photo_update(chat.CHAT, JPEG))
    asked = (await telegram.wait_for(chat_id=chat.CHAT, count=2))[-1].params["text"]
    assert asked.startswith("Receipt saved. What was it?")
    assert seen == [(0, True)]
    assert len(stored_files(app)) == 1


async def test_a_caption_refused_after_the_bytes_were_stored_leaves_no_object(
    bot_app, telegram, monkeypatch: pytest.MonkeyPatch
):
    client, app = bot_app
    alice = await chat.linked_alice(client, telegram)
    seen = spy_on_put(monkeypatch, app)
    # No XAF rate is known: recording the entry fails, after the photo was stored.
    await telegram.push(telegram.photo_update(chat.CHAT, JPEG, caption="dinner 45 XAF"))
    answer = (await telegram.wait_for(chat_id=chat.CHAT, count=2))[-1].params["text"]
    assert answer.startswith("Not saved: no exchange rate for XAF"), answer
    assert len(seen) == 1
    assert stored_files(app) == []
    assert await document_count(app.state.database) == 0
    assert (await client.get("/api/expenses/", headers=alice)).json() == []
