"""The baseline for bench/bot.py: a bare aiogram echo bot behind aiogram's own
aiohttp webhook handler, talking to the same fake Bot API server."""

import os

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

bot = Bot(
    os.environ["ECHO_TOKEN"],
    session=AiohttpSession(api=TelegramAPIServer.from_base(os.environ["ECHO_API_URL"])),
)
dispatcher = Dispatcher()


@dispatcher.message()
async def echo(message: Message) -> None:
    await message.answer(message.text or "")


app = web.Application()
SimpleRequestHandler(dispatcher=dispatcher, bot=bot).register(app, path="/webhook")

if __name__ == "__main__":
    web.run_app(app, host="127.0.0.1", port=int(os.environ["ECHO_PORT"]), print=None)
