"""Filters that run on the event loop."""

from typing import Any

from aiogram.filters import Filter
from aiogram.types import TelegramObject
from magic_filter import MagicFilter


class OnLoop(Filter):
    """A magic filter (`F.text`, `F.data.startswith(...)`) checked on the event loop.

    aiogram runs every filter that is not a coroutine in a worker thread, one
    `asyncio.to_thread` per check, and a plain text message passes about eight of
    them on its way to its handler: the thread hops cost more than the checks."""

    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: TelegramObject) -> Any:
        return self.magic.resolve(event)

    def __str__(self) -> str:
        return f"OnLoop({self.magic!r})"


def on_loop(magic: MagicFilter) -> OnLoop:
    return OnLoop(magic)
