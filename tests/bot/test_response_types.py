"""aiogram reads each answer of Telegram as `Response[<type>]`; pydantic keeps those
parametrised models only weakly. The bot holds the ones it uses on every reply, so a
garbage collection does not make the next reply build its model again."""

import gc
import weakref

from aiogram.client.session.base import Response
from aiogram.types import Message

from bot.app import make_bot
from core.config import Settings


def test_the_reply_models_outlive_a_garbage_collection() -> None:
    make_bot(Settings(telegram_bot_token="123456:AAA"))
    model = weakref.ref(Response[Message])
    gc.collect()
    assert model() is not None and Response[Message] is model()
