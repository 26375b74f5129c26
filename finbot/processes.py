"""Which process hosts what: every process enters the one runtime; `serve` hosts the
bot and the scheduler inside the API when `FINBOT_RUN_BOT` / `FINBOT_RUN_SCHEDULER`
say so. Only this package imports the front doors (api, bot, scheduler)."""

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from api.main import Hosted
from api.main import create_app as create_api
from core.config import Settings
from finbot.runtime import Runtime, runtime
from scheduler.app import run_forever, run_once, scheduler_running

log = logging.getLogger("finbot")


@asynccontextmanager
async def ocr_notice() -> AsyncIterator[None]:
    """At the start of a process that reads receipts: one line when it cannot (OCR is
    optional; without it receipts are stored, not read)."""
    # Imported here: numpy, Pillow and PDFium stay out of processes that read no receipt.
    from core.receipts import ocr_available

    if not await asyncio.to_thread(ocr_available):  # it runs `tesseract --list-langs`
        log.warning(
            "OCR not available: receipts are stored but not read "
            "(install Debian's tesseract-ocr and tesseract-ocr-eng to read them)"
        )
    yield


def create_app(settings: Settings | None = None) -> FastAPI:
    """The `finbot serve` application (uvicorn's factory): the API, with the bot and
    the scheduler when this process hosts them."""
    serving = settings is None  # uvicorn calls the factory bare; tests pass settings
    settings = settings or Settings()
    parts = Runtime.build(settings)
    hosted: list[Hosted] = [ocr_notice]
    if settings.run_scheduler:
        hosted.append(lambda: scheduler_running(parts.database, parts.gateway))
    bot: Any = None
    dispatcher: Any = None
    if settings.telegram_bot_token:
        # aiogram weighs ~120 MB of memory: loaded only where a bot is configured.
        from bot.app import bot_session_closed, make_bot, make_dispatcher, run_bot_alongside

        bot = make_bot(settings)
        hosted.append(lambda: bot_session_closed(bot))
        if settings.run_bot:
            dispatcher = make_dispatcher(parts.database, parts.store, settings)
            hosted.append(lambda: run_bot_alongside(bot, dispatcher, parts.database, settings))
    if serving:
        hosted.append(settled_heap)
    return create_api(parts, bot=bot, dispatcher=dispatcher, hosted=hosted)


@asynccontextmanager
async def settled_heap() -> AsyncIterator[None]:
    """Once started, move what the process loaded (modules, models, the app) out of
    the cyclic collector's sight and collect young objects less often. A full
    collection otherwise walks every one of those long-lived objects, a pause of
    tens of milliseconds that lands on whichever requests are in flight: the tail."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 20)
    yield


GC_YOUNG_THRESHOLD = 20_000  # allocations between young collections (Python's default: 700)


async def run_bot(settings: Settings) -> None:
    """`finbot bot`: long polling and alert delivery, in a process of its own."""
    from bot.app import make_bot, run_polling

    async with runtime(settings) as parts, ocr_notice():
        await run_polling(make_bot(settings), parts.database, parts.store, settings)


async def run_scheduler(settings: Settings) -> None:
    """`finbot scheduler`: the jobs on their schedule, in a process of its own."""
    async with runtime(settings) as parts:
        await run_forever(parts.database, parts.gateway)


async def run_jobs_once(
    settings: Settings, names: list[str], now_iso: str | None
) -> dict[str, int | None]:
    """`finbot scheduler run-once`: those jobs, once, in order."""
    async with runtime(settings) as parts:
        return await run_once(parts.database, parts.gateway, names, now_iso)
