import asyncio
import contextlib
import logging
from typing import Annotated

from fastapi import APIRouter, Query, Response, WebSocket, WebSocketDisconnect
from pydantic import BaseModel

from api.crud import NOT_FOUND, ObjectId
from api.deps import CurrentUser, PagingDep, SessionDep, token_ttl
from core.auth import service as auth
from core.exceptions import Unauthorized
from core.notifications import service as notifications
from core.notifications.bus import NotificationBus
from core.notifications.schemas import NotificationOut
from core.notifications.sockets import LiveSockets, TooManySockets

log = logging.getLogger("finbot.notifications")
router = APIRouter(prefix="/api/notifications", tags=["notifications"])

CLOSE_UNAUTHORIZED = 4401
CLOSE_POLICY = 1008  # policy violation: the user holds too many sockets


class MarkedRead(BaseModel):
    updated: int


@router.get("/", response_model=list[NotificationOut])
async def list_notifications(
    session: SessionDep,
    user: CurrentUser,
    page: PagingDep,
    response: Response,
    unread: Annotated[bool, Query(description="Only those not yet read")] = False,
) -> list[NotificationOut]:
    result = await notifications.list_page(session, user, page, unread)
    response.headers["X-Total-Count"] = str(result.total)
    return [NotificationOut.of(row) for row in result.items]


@router.post("/read-all/", response_model=MarkedRead)
async def read_all(session: SessionDep, user: CurrentUser) -> MarkedRead:
    return MarkedRead(updated=await notifications.mark_all_read(session, user))


@router.post("/{notification_id}/read/", response_model=NotificationOut, responses=NOT_FOUND)
async def read_one(
    session: SessionDep, user: CurrentUser, notification_id: ObjectId
) -> NotificationOut:
    return NotificationOut.of(await notifications.mark_read(session, user, notification_id))


@router.websocket("/ws")
async def live(websocket: WebSocket, token: str = "") -> None:
    """Each new notification of the token's user, as the list's JSON object.

    Keep-alive is the WebSocket ping that the server sends every 20 seconds.
    The socket closes with 4401 within seconds of its token dying (logout,
    password reset, expiry), and with 1008 at once when the user already holds
    20 in this process.
    """
    database = websocket.app.state.database
    bus: NotificationBus = websocket.app.state.bus
    sockets: LiveSockets = websocket.app.state.live_sockets
    ttl = token_ttl(websocket.app.state.settings)
    try:
        async with database.session() as session:
            user = await auth.authenticate(session, token, ttl) if token else None
    except Unauthorized:
        user = None
    await websocket.accept()
    if user is None:
        await websocket.close(code=CLOSE_UNAUTHORIZED, reason="invalid or missing token")
        return
    try:
        async with sockets.hold(user.id, token) as token_died, bus.subscribe(user.id) as queue:
            await _serve(websocket, queue, token_died)
    except TooManySockets:
        await websocket.close(code=CLOSE_POLICY, reason="too many open sockets")


async def _serve(
    websocket: WebSocket, queue: asyncio.Queue[NotificationOut], token_died: asyncio.Event
) -> None:
    # Tasks watch for the client going away and for the token dying while we wait
    # on the queue.
    closed = asyncio.create_task(_until_closed(websocket))
    revoked = asyncio.create_task(token_died.wait())
    watchers = {closed, revoked}
    try:
        while not closed.done():
            getter = asyncio.create_task(queue.get())
            done, _ = await asyncio.wait({getter, *watchers}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                if revoked in done:
                    await websocket.close(code=CLOSE_UNAUTHORIZED, reason="token expired")
                break
            await websocket.send_text(getter.result().model_dump_json())
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        for watcher in watchers:
            watcher.cancel()
        for watcher in watchers:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
                await watcher


async def _until_closed(websocket: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            await websocket.receive_text()  # clients have nothing to say; drain it
