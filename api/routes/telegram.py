import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request
from pydantic import BaseModel

from api.deps import BotDep, CurrentUser, SessionDep, SettingsDep, WebhookTargetDep
from core.exceptions import BadRequest, Forbidden, ServiceUnavailable
from core.telegram import service as chats

router = APIRouter(prefix="/api/telegram", tags=["telegram"])


class LinkCode(BaseModel):
    code: str
    url: str


class Accepted(BaseModel):
    ok: bool


@router.post("/link/", response_model=LinkCode, responses={503: {"description": "No bot"}})
async def link(session: SessionDep, user: CurrentUser, bot: BotDep) -> LinkCode:
    """A one-time code (10 minutes): send `/start <code>` to the bot, or open the url."""
    from aiogram.exceptions import TelegramAPIError, TelegramNetworkError

    try:
        me = await bot.me()
    except (TelegramAPIError, TelegramNetworkError) as error:
        raise ServiceUnavailable("telegram unreachable") from error
    code = await chats.new_link_code(session, user)
    return LinkCode(code=code, url=f"https://t.me/{me.username}?start={code}")


@router.post(
    "/webhook/",
    response_model=Accepted,
    responses={
        400: {"description": "Not a Telegram update"},
        403: {"description": "Missing or wrong X-Telegram-Bot-Api-Secret-Token"},
        404: {"description": "Not in webhook mode (the bot polls, or there is no bot)"},
    },
)
async def webhook(
    request: Request,
    settings: SettingsDep,
    target: WebhookTargetDep,
    secret: Annotated[str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token")] = None,
) -> Accepted:
    """Updates from Telegram, in webhook mode only: anyone could post forged ones otherwise."""
    expected = settings.telegram_webhook_secret
    if not settings.telegram_webhook_url or target is None:
        # Outside webhook mode the route does not exist, as far as anyone can tell.
        raise HTTPException(status_code=404, detail="Not Found")
    # Settings refuse webhook mode without a secret; the check never depends on one being set.
    if expected is None or not hmac.compare_digest(
        (secret or "").encode(), expected.get_secret_value().encode()
    ):
        raise Forbidden("wrong webhook secret")
    try:
        update: Any = await request.json()
    except ValueError as error:
        raise BadRequest("body is not JSON") from error
    if not isinstance(update, dict) or "update_id" not in update:
        raise BadRequest("not a Telegram update")
    bot, dispatcher = target
    await dispatcher.feed_raw_update(bot, update)
    return Accepted(ok=True)
