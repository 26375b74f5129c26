"""Alerts to chats: every notification of a linked user reaches their chat once."""

import asyncio
import logging
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile

from bot.charts import category_chart
from core.db import Database
from core.metrics import NOTIFICATIONS_DELIVERED
from core.models import Notification
from core.models.base import utcnow
from core.notifications import service as notifications
from core.reports import service as reports
from core.reports.summaries import parse_summary_key

log = logging.getLogger("finbot.delivery")

BATCH = 50
MAX_BACKOFF = 600.0


class ChatDelivery:
    def __init__(self, bot: Bot, database: Database, interval: float = 1.0) -> None:
        self.bot = bot
        self.database = database
        self.interval = interval

    async def run_once(self, now: datetime | None = None) -> int:
        """Send what is due; returns how many were delivered."""
        now = now or utcnow()
        async with self.database.session() as session:
            claimed = await notifications.claim_for_chats(session, now, BATCH)
        delivered: list[int] = []
        retries: dict[int, datetime] = {}
        for position, (notification, chat_id) in enumerate(claimed):
            try:
                await self._send(chat_id, notification)
                delivered.append(notification.id)
            except TelegramRetryAfter as error:
                # Telegram asks the whole bot to wait: everything left waits too.
                later = now + timedelta(seconds=error.retry_after)
                for pending, _ in claimed[position:]:
                    retries[pending.id] = later
                break
            except (TelegramForbiddenError, TelegramBadRequest) as error:
                # Blocked, or the chat is gone: retrying cannot help, and must not
                # hold up anyone else. The alert stays in the API's list.
                log.info("chat %s refused alert %s: %s", chat_id, notification.id, error)
                delivered.append(notification.id)
            except (TelegramNetworkError, TelegramServerError) as error:
                backoff = min(2.0**notification.delivery_attempts, MAX_BACKOFF)
                retries[notification.id] = now + timedelta(seconds=backoff)
                log.warning(
                    "alert %s to chat %s failed (%s); retry in %.0fs",
                    notification.id,
                    chat_id,
                    error,
                    backoff,
                )
        if delivered or retries:
            async with self.database.session() as session:
                await notifications.record_deliveries(session, delivered, retries)
            NOTIFICATIONS_DELIVERED.inc(len(delivered))
        return len(delivered)

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
