"""Alerts to chats: every notification of a linked user reaches their chat once, and
every post of a household (its shared budgets' alerts) its group once."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile

from bot.charts import category_chart
from core.db import Database
from core.households import chats as groups
from core.metrics import NOTIFICATIONS_DELIVERED
from core.models import HouseholdChatPost, Notification
from core.models.base import utcnow
from core.notifications import service as notifications
from core.reports import service as reports
from core.reports.summaries import parse_summary_key

log = logging.getLogger("finbot.delivery")

BATCH = 50
MAX_BACKOFF = 600.0
Item = TypeVar("Item", Notification, HouseholdChatPost)


class ChatDelivery:
    def __init__(self, bot: Bot, database: Database, interval: float = 1.0) -> None:
        self.bot = bot
        self.database = database
        self.interval = interval
        self.hold_until: datetime | None = None  # Telegram's Retry-After, for the whole bot

    async def run_once(self, now: datetime | None = None) -> int:
        """Send what is due (alerts to people's chats, posts to households' groups);
        returns how many were delivered."""
        now = now or utcnow()
        async with self.database.session() as session:
            claimed = await notifications.claim_for_chats(session, now, BATCH)
        delivered, retries = await self._send_all(claimed, self._send, now)
        if delivered or retries:
            async with self.database.session() as session:
                await notifications.record_deliveries(session, delivered, retries)
            NOTIFICATIONS_DELIVERED.inc(len(delivered))
        if self.hold_until is not None and self.hold_until > now:
            return len(delivered)  # Telegram asked the bot to wait: the posts wait too
        async with self.database.session() as session:
            posts = await groups.claim_posts(session, now, BATCH)
        posted, reposts = await self._send_all(posts, self._post, now)
        if posted or reposts:
            async with self.database.session() as session:
                await groups.record_post_deliveries(session, posted, reposts)
        return len(delivered) + len(posted)

    async def _send_all(
        self,
        claimed: Sequence[tuple[Item, int]],
        send: Callable[[int, Item], Awaitable[None]],
        now: datetime,
    ) -> tuple[list[int], dict[int, datetime]]:
        """Send each claimed item to its chat: the ids delivered, and when to retry the rest."""
        delivered: list[int] = []
        retries: dict[int, datetime] = {}
        for position, (item, chat_id) in enumerate(claimed):
            try:
                await send(chat_id, item)
                delivered.append(item.id)
            except TelegramRetryAfter as error:
                # Telegram asks the whole bot to wait: everything left waits too.
                later = now + timedelta(seconds=error.retry_after)
                self.hold_until = later
                for pending, _ in claimed[position:]:
                    retries[pending.id] = later
                break
            except (TelegramForbiddenError, TelegramBadRequest, TelegramMigrateToChat) as error:
                # Blocked, or the chat is gone: retrying cannot help, and must not
                # hold up anyone else. The alert stays in the API's list.
                log.info("chat %s refused %s %s: %s", chat_id, item.kind, item.id, error)
                delivered.append(item.id)
            except (TelegramNetworkError, TelegramServerError) as error:
                backoff = min(2.0**item.delivery_attempts, MAX_BACKOFF)
                retries[item.id] = now + timedelta(seconds=backoff)
                log.warning(
                    "%s %s to chat %s failed (%s); retry in %.0fs",
                    item.kind,
                    item.id,
                    chat_id,
                    error,
                    backoff,
                )
        return delivered, retries

    async def _post(self, chat_id: int, post: HouseholdChatPost) -> None:
        try:
            await self.bot.send_message(chat_id, post.message)
        except TelegramMigrateToChat as error:
            # The group became a supergroup: its household follows it, and so does the post.
            async with self.database.session() as session:
                await groups.move_chat(session, chat_id, error.migrate_to_chat_id)
            await self.bot.send_message(error.migrate_to_chat_id, post.message)

    async def _send(self, chat_id: int, notification: Notification) -> None:
        span = parse_summary_key(notification.dedupe_key or "")
        if notification.kind != "summary" or span is None:
            await self.bot.send_message(chat_id, notification.message)
            return
        # Summaries travel with their chart; the caption is the summary itself.
        period, first, last = span
        async with self.database.session() as session:
            summary, currency = await reports.summary_of_user(
                session, notification.user_id, first, last
            )
        chart = await category_chart(
            f"{first.isoformat()} – {last.isoformat()}: spending by category",
            [(row.category, row.total) for row in summary.by_category[:8]],
            currency,
        )
        await self.bot.send_photo(
            chat_id,
            BufferedInputFile(chart, filename=f"{period}-summary.png"),
            caption=notification.message[:1024],
        )

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # one bad round must not end delivery for good
                log.exception("alert delivery round failed")
            await asyncio.sleep(self.interval)
