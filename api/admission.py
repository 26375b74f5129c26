"""First come, first served under load: a few short requests of a process run at once,
each admitted only once its whole body is in, and none waits for ever."""

import asyncio
import math

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_answer

# Files in and out, read by their routes as they stream (their own, larger body
# limits): neither buffered nor queued here.
STREAMED_PREFIXES = ("/api/documents", "/api/imports")
# Never queued, but their bodies are read here like any other's. Long by nature: the
# export, and a password's argon2 (which has its own bounded queue and answers 429
# past it). Probes must answer while the process is busy (SPEC section 12), as must
# the webhooks: their senders retry, and a retry is more load. The WebSocket is no
# HTTP request and never comes here.
UNQUEUED_PREFIXES = (
    "/api/export",
    "/api/auth",
    "/api/telegram/webhook/",
    "/api/payments/webhook/",
)
UNQUEUED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

BODY_LIMIT = 1024 * 1024  # when the app sets none (api/main.py sets the same)


def admitted_at_once(database_url: str) -> int:
    """How many requests a process serves at once. SQLite writers take turns on one
    lock, so more in flight only queue there, holding it across turns of the loop;
    PostgreSQL answers several at once, and a request waiting on it leaves the loop
    free for another (measured with compare.sh: 6 gave 1.28 / 0.83, 12 gave 1.70 /
    0.80 on PostgreSQL; SQLite's tail is clearly better with 6)."""
    return 6 if database_url.startswith("sqlite") else 12


class FifoAdmission:
    """At most `limit` HTTP requests of this process run at once; the rest wait for a
    turn in arrival order, for at most `wait_seconds` (then 503 with Retry-After).

    asyncio shares the loop among every request in flight, and each one waits behind
    all the others at every await: with 25 in flight each takes 25 requests' time, and
    the spread of that makes the tail. Admitting a few at a time serves requests nearly
    in the order they came (as a pool of worker threads would), for the same throughput
    with a shorter tail. Asyncio's Semaphore wakes its waiters in order.

    A request's body is read whole before it asks for a turn, within `body_seconds`
    (then 408), and handed to the app as one message: a client that sends slowly holds
    only its own connection, never a turn. The body is capped at the app's limit
    (Starlette's, in the scope; a route with a larger one must stream, see
    STREAMED_PREFIXES): past it the answer is 413 and the rest is never read.
    """

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        wait_seconds: float = 5.0,
        body_seconds: float = 30.0,
    ) -> None:
        self.app = app
        self.turns = asyncio.Semaphore(limit)
        self.wait_seconds = wait_seconds
        self.body_seconds = body_seconds
        self.retry_after = str(max(1, math.ceil(wait_seconds)))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(STREAMED_PREFIXES):
            await self.app(scope, receive, send)
            return
        received = await self._body(scope, receive, send)
        if received is None:  # answered already, or the client went away
            return
        replayed = _replay(received, receive)
        if path in UNQUEUED_PATHS or path.startswith(UNQUEUED_PREFIXES):
            await self.app(scope, replayed, send)
            return
        try:
            async with asyncio.timeout(self.wait_seconds):
                await self.turns.acquire()
        except TimeoutError:
            busy = error_answer(503, "busy: try again shortly", {"Retry-After": self.retry_after})
            await busy(scope, replayed, send)
            return
        try:
            await self.app(scope, replayed, send)
        finally:
            self.turns.release()

    async def _body(self, scope: Scope, receive: Receive, send: Send) -> bytes | None:
        """The whole body, or None once the client has been answered (408, 413) or
        has gone."""
        limit: int = scope.get(MAX_BODY_SIZE_SCOPE_KEY, BODY_LIMIT)
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await error_answer(413, "Content Too Large")(scope, receive, send)
            return None
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.body_seconds):
                while True:
                    message = await receive()
                    if message["type"] != "http.request":
                        return None  # http.disconnect: no one to answer
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > limit:
                        raise HTTPException(413, "Content Too Large")
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        return b"".join(chunks)
        except TimeoutError:
            # The rest of the body may still come: the connection cannot be reused.
            late = error_answer(408, "request body not received in time", {"Connection": "close"})
            await late(scope, receive, send)
        except HTTPException as error:  # the app's body limit (Starlette's), or ours
            await error_answer(error.status_code, str(error.detail), dict(error.headers or {}))(
                scope, receive, send
            )
        return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the body in one message, then what the client sends next
    (its disconnect)."""
    given = False

    async def replayed() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed
