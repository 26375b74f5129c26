"""Issue 13: the webhook exists only in webhook mode, and never without its secret."""

import json
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from core.config import Settings
from finbot.processes import create_app
from tests.conftest import clean_database
from tests.support.fake_telegram import FakeTelegram

TOKEN = "123456:TEST-token"


async def post_update(settings: Settings, telegram: FakeTelegram, **headers: str | bytes) -> int:
    update = json.dumps(telegram.message_update(4242, "/start")).encode()
    return (await post_body(settings, update, **headers)).status_code


def webhook_mode(settings: Settings, telegram: FakeTelegram) -> Settings:
    """Settings of a bot in webhook mode with the secret "s3cret"."""
    return settings.model_copy(
        update={
            "telegram_bot_token": SecretStr(TOKEN),
            "telegram_api_url": telegram.url,
            "telegram_webhook_url": "https://finbot.test/api/telegram/webhook/",
            "telegram_webhook_secret": SecretStr("s3cret"),
        }
    )


def as_bytes(header: tuple[str, str | bytes]) -> tuple[bytes, bytes]:
    name, value = header
    return name.encode(), value if isinstance(value, bytes) else value.encode()


async def post_body(settings: Settings, body: bytes, **headers: str | bytes) -> httpx.Response:
    app = create_app(settings)
    await clean_database(app.state.database)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://finbot.test") as http:
            return await http.post(
                "/api/telegram/webhook/",
                content=body,
                headers=[(b"Content-Type", b"application/json"), *map(as_bytes, headers.items())],
            )
    finally:
        await app.state.bot.session.close()
        await app.state.database.dispose()


async def test_in_long_polling_mode_the_webhook_answers_404_and_feeds_nothing(settings, telegram):
    polling = settings.model_copy(
        update={"telegram_bot_token": SecretStr(TOKEN), "telegram_api_url": telegram.url}
    )
    assert await post_update(polling, telegram) == 404
    # Even a secret that happens to be configured does not open the route.
    with_secret = polling.model_copy(update={"telegram_webhook_secret": SecretStr("s3cret")})
    assert (
        await post_update(with_secret, telegram, **{"X-Telegram-Bot-Api-Secret-Token": "s3cret"})
        == 404
    )
    assert telegram.sent(chat_id=4242) == []


async def test_in_webhook_mode_a_missing_or_wrong_secret_is_403(settings, telegram):
    hooked = webhook_mode(settings, telegram)
    assert await post_update(hooked, telegram) == 403
    assert (
        await post_update(hooked, telegram, **{"X-Telegram-Bot-Api-Secret-Token": "s3cre"}) == 403
    )
    # A non-ASCII secret is a wrong secret, not a crash.
    assert (
        await post_update(
            hooked, telegram, **{"X-Telegram-Bot-Api-Secret-Token": "s3crét".encode()}
        )
        == 403
    )
    assert telegram.sent(chat_id=4242) == []


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"{not json", "body is not JSON"),
        (b"[1, 2]", "not a Telegram update"),
        (b'{"message": {"text": "hi"}}', "not a Telegram update"),
        (b'{"update_id": "seven"}', "not a Telegram update"),
    ],
)
async def test_in_webhook_mode_a_body_that_is_no_update_is_400_and_feeds_nothing(
    settings, telegram, body: bytes, problem: str
):
    hooked = webhook_mode(settings, telegram)
    answer = await post_body(hooked, body, **{"X-Telegram-Bot-Api-Secret-Token": "s3cret"})
    assert answer.status_code == 400
    assert problem in answer.text
    assert telegram.calls == []


def test_webhook_mode_without_a_secret_refuses_to_start(tmp_path: Path):
    with pytest.raises(ValidationError, match="FINBOT_TELEGRAM_WEBHOOK_SECRET"):
        Settings(
            _env_file=None,
            storage_dir=tmp_path,
            telegram_bot_token=TOKEN,
            telegram_webhook_url="https://finbot.example/api/telegram/webhook/",
        )


async def test_without_a_bot_the_webhook_answers_404_not_503(client, telegram):
    # An unconfigured optional part answers 503 elsewhere; this route does not exist at all.
    answer = await client.post(
        "/api/telegram/webhook/", json=telegram.message_update(4242, "/start")
    )
    assert answer.status_code == 404, answer.text
