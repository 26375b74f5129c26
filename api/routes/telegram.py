import asyncio
import hmac
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request, Response
from pydantic import BaseModel, ValidationError

from api.crud import json_answer
from api.deps import BotDep, CurrentUser, SessionDep
from api.planned import PlannedRoute
from core.config import Settings
from core.exceptions import BadRequest, Forbidden, ServiceUnavailable
from core.telegram import service as chats

log = logging.getLogger("finbot.bot")

# An update handled within this is answered in the webhook's own response; one that
# takes longer (a statement import, a receipt's OCR) is answered {"ok": true} now and
# its reply sent as a call when done, so no chat work holds a request (Telegram waits
# 60 s, then sends the update again). Three times the one second a chat message has.
INLINE_SECONDS = 3.0
# How long a stopping process lets updates still in hand finish (SPEC: 20 s grace).
LATE_GRACE_SECONDS = 20.0

# Planned: the webhook takes every chat message (api/planned.py).
router = APIRouter(prefix="/api/telegram", tags=["telegram"], route_class=PlannedRoute)


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
        200: {
            "description": "Taken; or, as JSON, the Bot API call that answers the update "
            '(`{"method": "sendMessage", ...}`), which Telegram makes itself'
        },
        400: {"description": "Not a Telegram update"},
        403: {"description": "Missing or wrong X-Telegram-Bot-Api-Secret-Token"},
        404: {"description": "Not in webhook mode (the bot polls, or there is no bot)"},
    },
)
async def webhook(
    request: Request,
    secret: Annotated[str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token")] = None,
) -> Response:
    """Updates from Telegram, in webhook mode only: anyone could post forged ones otherwise."""
    # aiogram is loaded only where a bot is configured.
    from aiogram.methods import TelegramMethod
    from aiogram.types import Update

    # The app's state read here rather than through dependencies: this route takes
    # every chat message.
    settings: Settings = request.app.state.settings
    bot, dispatcher = request.app.state.bot, request.app.state.dispatcher
    if not settings.telegram_webhook_url or bot is None or dispatcher is None:
        # Outside webhook mode the route does not exist, as far as anyone can tell.
        raise HTTPException(status_code=404, detail="Not Found")
    expected = settings.telegram_webhook_secret
    # Settings refuse webhook mode without a secret; the check never depends on one being set.
    if expected is None or not hmac.compare_digest(
        (secret or "").encode(), expected.get_secret_value().encode()
    ):
        raise Forbidden("wrong webhook secret")
    try:
        # Straight from the bytes: pydantic's JSON parser, not json.loads then a dict walk.
        update = Update.model_validate_json(await request.body(), context={"bot": bot})
    except ValidationError as error:
        raise BadRequest(_not_an_update(error)) from error
    # As aiogram's SimpleRequestHandler(handle_in_background=True) does, past INLINE_SECONDS.
    late: LateUpdates = request.app.state.late_updates
    work = asyncio.create_task(dispatcher.feed_update(bot, update))
    try:
        done, _ = await asyncio.wait({work}, timeout=INLINE_SECONDS)
    except asyncio.CancelledError:  # the request ends, the update's handling need not
        late.follow(work, bot)
        raise
    if not done:
        late.follow(work, bot)
        return json_answer(_ACCEPTED)
    reply = work.result()
    if isinstance(reply, TelegramMethod):
        # A handler's last reply goes back in this answer: one HTTP exchange per chat
        # message instead of two. One with a file is sent as a call.
        # The bot's session builds it (bot.session.JsonSession; the API never imports the bot).
        webhook_answer = getattr(bot.session, "webhook_answer", None)
        answer = webhook_answer(bot, reply) if webhook_answer is not None else None
        if answer is not None:
            return Response(answer, media_type="application/json")
        await bot(reply)
    return json_answer(_ACCEPTED)


_ACCEPTED = Accepted(ok=True).model_dump_json().encode()


def _not_an_update(error: ValidationError) -> str:
    if any(problem["type"] == "json_invalid" for problem in error.errors()):
        return "body is not JSON"
    return "not a Telegram update"


class LateUpdates:
    """Updates still being handled after their webhook request was answered."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[None]] = set()

    def follow(self, work: "asyncio.Task[Any]", bot: Any) -> None:
        """Send `work`'s reply, if any, as a call once it is done."""
        task = asyncio.create_task(_reply_when_done(work, bot))
        self.tasks.add(task)  # the loop keeps only a weak reference to a task
        task.add_done_callback(self.tasks.discard)

    async def finish(self, grace: float = LATE_GRACE_SECONDS) -> None:
        """At shutdown: let those in hand finish, for at most `grace` seconds."""
        if not self.tasks:
            return
        _, pending = await asyncio.wait(set(self.tasks), timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


async def _reply_when_done(work: "asyncio.Task[Any]", bot: Any) -> None:
    from aiogram.methods import TelegramMethod

    try:
        reply = await work
        if isinstance(reply, TelegramMethod):
            await bot(reply)
    except asyncio.CancelledError:
        work.cancel()
        raise
    except Exception:  # no request to answer: the log is the only place left
        log.exception("an update handled after its webhook answer failed")
