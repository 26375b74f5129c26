"""A small Telegram Bot API server for tests: finbot's real aiogram client talks to
it over HTTP. It serves getMe, getUpdates (long polling), getFile and file
downloads, and records what the bot sends (sendMessage, sendPhoto, setWebhook...)."""

import asyncio
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.mail import free_port

BOT_USERNAME = "finbot_test_bot"
BOT_ID = 4242


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)
    status: int = 200
    content_type: str = ""


class FakeTelegram:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.calls: list[Call] = []
        self.files: dict[str, bytes] = {}
        self.blocked_chats: set[int] = set()
        self.reads_all_group_messages = False  # getMe: privacy mode on, as BotFather sets it
        self.admin_in: set[int] = set()  # groups where the bot is an admin
        self.fail_next: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self._updates: list[dict[str, Any]] = []
        self._arrived = asyncio.Condition()
        self._called = asyncio.Condition()
        self._messages_to: dict[int, int] = {}  # chat id -> sendMessage calls
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None

    async def start(self) -> "FakeTelegram":
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # What tests do

    async def push(self, update: dict[str, Any]) -> None:
        update.setdefault("update_id", next(self._ids))
        async with self._arrived:
            self._updates.append(update)
            self._arrived.notify_all()

    def message_update(self, chat_id: int, text: str | None = None, **extra: Any) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Ana"},
            **extra,
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return {"update_id": next(self._ids), "message": message}

    def group_update(
        self,
        chat_id: int,
        sender_id: int,
        text: str,
        username: str | None = None,
        title: str = "Flat 4B",
    ) -> dict[str, Any]:
        """`sender_id` wrote `text` in the group `chat_id` (a negative id, as Telegram's)."""
        update = self.message_update(chat_id, text)
        update["message"]["chat"] = {"id": chat_id, "type": "group", "title": title}
        sender: dict[str, Any] = {"id": sender_id, "is_bot": False, "first_name": f"P{sender_id}"}
        if username:
            sender["username"] = username
        update["message"]["from"] = sender
        return update

    def edited_update(self, chat_id: int, message_id: int, text: str) -> dict[str, Any]:
        """The person edited their message `message_id` to read `text`."""
        edit = self.message_update(chat_id, text)["message"]
        edit.update(message_id=message_id, date=int(time.time()) - 1, edit_date=int(time.time()))
        return {"update_id": next(self._ids), "edited_message": edit}

    def photo_update(
        self, chat_id: int, content: bytes, caption: str | None = None
    ) -> dict[str, Any]:
        file_id = f"photo{next(self._ids)}"
        self.files[file_id] = content
        sizes = [
            {"file_id": f"{file_id}-small", "file_unique_id": "s", "width": 90, "height": 90},
            {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 1280, "height": 960},
        ]
        self.files[f"{file_id}-small"] = b"small"
        extra: dict[str, Any] = {"photo": sizes}
        if caption:
            extra["caption"] = caption
        return self.message_update(chat_id, **extra)

    def callback_update(
        self,
        chat_id: int,
        data: str,
        message_id: int = 1,
        sender_id: int | None = None,
        username: str | None = None,
    ) -> dict[str, Any]:
        """A button pressed under a message in `chat_id`: in a group (a negative id), by
        `sender_id`."""
        chat: dict[str, Any] = {"id": chat_id, "type": "private"}
        if chat_id < 0:
            chat = {"id": chat_id, "type": "group", "title": "Flat 4B"}
        sender: dict[str, Any] = {"id": sender_id or chat_id, "is_bot": False, "first_name": "Ana"}
        if username:
            sender["username"] = username
        return {
            "update_id": next(self._ids),
            "callback_query": {
                "id": str(next(self._ids)),
                "from": sender,
                "chat_instance": "ci",
                "data": data,
                "message": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": chat,
                    "text": "Expense saved: 1.00 EUR · x · 2026-01-01",
                },
            },
        }

    def sent(self, method: str = "sendMessage", chat_id: int | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == method
            and (chat_id is None or int(c.params.get("chat_id", 0)) == chat_id)
        ]

    async def wait_for(
        self,
        method: str = "sendMessage",
        chat_id: int | None = None,
        count: int = 1,
        seconds: float = 10,
    ) -> list[Call]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = self.sent(method, chat_id)
            if len(found) >= count:
                return found
            await asyncio.sleep(0.05)
        raise AssertionError(
            f"expected {count} {method} to {chat_id}, got {self.sent(method, chat_id)}"
        )

    def messages_to(self, chat_id: int) -> int:
        return self._messages_to.get(chat_id, 0)

    async def replied(self, chat_id: int, count: int) -> None:
        """Until `count` messages went to that chat (no polling delay)."""
        async with self._called:
            await self._called.wait_for(lambda: self._messages_to.get(chat_id, 0) >= count)

    async def webhook_answered(self, content_type: str, body: bytes) -> None:
        """What Telegram does with a webhook's answer: a JSON object naming a "method" is
        that call, made as if the bot had made it (without its result reaching the bot)."""
        if not content_type.startswith("application/json"):
            return
        params = json.loads(body)
        method = params.pop("method", None)
        if method is None:
            return
        self._record(Call(method, params, content_type="webhook answer"))
        async with self._called:
            self._called.notify_all()

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        if call.method == "sendMessage" and "chat_id" in call.params:
            chat_id = int(call.params["chat_id"])
            self._messages_to[chat_id] = self._messages_to.get(chat_id, 0) + 1

    # The Bot API

    async def _params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
        params: dict[str, Any] = dict(request.query)
        files: dict[str, bytes] = {}
        if request.content_type == "application/json":
            params.update(await request.json())
        elif request.content_type in {"multipart/form-data", "application/x-www-form-urlencoded"}:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = value.file.read()
                else:
                    params[key] = value
        for key, value in list(params.items()):
            if isinstance(value, str) and value[:1] in "{[":
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(value)
        return params, files

    def _message(self, chat_id: Any, **content: Any) -> dict[str, Any]:
        chat_type = "group" if int(chat_id) < 0 else "private"
        return {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": int(chat_id), "type": chat_type},
            **content,
        }

    async def _method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params, files = await self._params(request)
        if method != "getUpdates":
            self._record(Call(method, params, files, content_type=request.content_type))
            async with self._called:
                self._called.notify_all()
        failures = self.fail_next.get(method)
        if failures:
            status, body = failures.pop(0)
            self.calls[-1].status = status
            return web.json_response({"ok": False, "error_code": status, **body}, status=status)
        chat = params.get("chat_id")
        if chat is not None and int(chat) in self.blocked_chats:
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user",
                },
                status=403,
            )
        result: Any = True
        if method == "getMe":
            result = {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "finbot",
                "username": BOT_USERNAME,
                "can_read_all_group_messages": self.reads_all_group_messages,
            }
        elif method == "getChatMember":
            role = "administrator" if int(params["chat_id"]) in self.admin_in else "member"
            member: dict[str, Any] = {
                "status": role,
                "user": {"id": int(params["user_id"]), "is_bot": True, "first_name": "x"},
            }
            if role == "administrator":
                member.update(
                    {
                        "can_be_edited": False,
                        "is_anonymous": False,
                        "can_manage_chat": True,
                        "can_delete_messages": False,
                        "can_manage_video_chats": False,
                        "can_restrict_members": False,
                        "can_promote_members": False,
                        "can_change_info": False,
                        "can_invite_users": False,
                        "can_post_stories": False,
                        "can_edit_stories": False,
                        "can_delete_stories": False,
                        "can_send_welcome_messages": False,
                    }
                )
            result = member
        elif method == "getUpdates":
            result = await self._get_updates(params)
        elif method == "sendMessage":
            result = self._message(chat, text=params.get("text", ""))
        elif method == "sendPhoto":
            result = self._message(
                chat,
                photo=[{"file_id": "sent", "file_unique_id": "sent", "width": 600, "height": 350}],
                caption=params.get("caption", ""),
            )
        elif method == "editMessageText":
            result = self._message(chat or 1, text=params.get("text", ""))
        elif method == "getFile":
            file_id = params["file_id"]
            if file_id not in self.files:
                return web.json_response(
                    {"ok": False, "error_code": 400, "description": "Bad Request: file not found"},
                    status=400,
                )
            result = {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "file_size": len(self.files[file_id]),
                "file_path": f"photos/{file_id}.jpg",
            }
        return web.json_response({"ok": True, "result": result})

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0) or 0)
        timeout = min(float(params.get("timeout", 0) or 0), 2.0)

        def ready() -> list[dict[str, Any]]:
            return [u for u in self._updates if u["update_id"] >= offset]

        async with self._arrived:
            if not ready() and timeout:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._arrived.wait_for(lambda: bool(ready())), timeout)
            return ready()

    async def _file(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        file_id = path.rsplit("/", 1)[-1].removesuffix(".jpg")
        if file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id], content_type="image/jpeg")
