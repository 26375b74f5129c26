"""The Bot API client session: calls without files go as one JSON body."""

from typing import Any, cast

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiohttp import ClientError, ClientTimeout

_JSON = {"Content-Type": "application/json"}


class JsonSession(AiohttpSession):
    """aiogram sends every call as multipart form data, each nested object a JSON string
    inside it: building and encoding that form cost more than the rest of a reply. The
    Bot API takes the same call as a JSON body, so a call without files goes as one
    (a file upload still goes as a form)."""

    def json_call(self, bot: Bot, method: TelegramMethod[Any]) -> dict[str, Any] | None:
        """The call's parameters as a JSON object, or None when it uploads a file."""
        files: dict[str, Any] = {}
        payload = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is not None:
                payload[key] = prepared
        return None if files else payload

    def webhook_answer(self, bot: Bot, method: TelegramMethod[Any]) -> bytes | None:
        """The call as the answer to a webhook request, which Telegram then makes itself
        (https://core.telegram.org/bots/api#making-requests-when-getting-updates); None
        when it uploads a file."""
        payload = self.json_call(bot, method)
        if payload is None:
            return None
        return self.json_dumps({"method": method.__api_method__, **payload}).encode()

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        payload = self.json_call(bot, method)
        if payload is None:
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(
                url,
                data=self.json_dumps(payload),
                headers=_JSON,
                timeout=ClientTimeout(total=self.timeout if timeout is None else timeout),
            ) as resp:
                raw_result = await resp.text()
        except TimeoutError as e:
            raise TelegramNetworkError(method=method, message="Request timeout error") from e
        except ClientError as e:
            raise TelegramNetworkError(method=method, message=f"{type(e).__name__}: {e}") from e
        response = self.check_response(
            bot=bot, method=method, status_code=resp.status, content=raw_result
        )
        return cast(TelegramType, response.result)
