"""First come, first served under load: a few short requests of a process run at once."""

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

# Long by nature (files in and out; a password's argon2, which has its own bounded
# queue and answers 429 past it), and the WebSocket lives for hours: never queued here.
UNGATED_PREFIXES = ("/api/documents", "/api/imports", "/api/export", "/api/auth")


def admitted_at_once(database_url: str) -> int:
    """How many requests a process serves at once. SQLite writers take turns on one
    lock, so more in flight only queue there, holding it across turns of the loop;
    PostgreSQL answers several at once, and a request waiting on it leaves the loop
    free for another (measured with compare.sh: 6 gave 1.28 / 0.83, 12 gave 1.70 /
    0.80 on PostgreSQL; SQLite's tail is clearly better with 6)."""
    return 6 if database_url.startswith("sqlite") else 12


class FifoAdmission:
    """At most `limit` HTTP requests of this process run at once; the rest wait for a
    turn in arrival order.

    asyncio shares the loop among every request in flight, and each one waits behind
    all the others at every await: with 25 in flight each takes 25 requests' time, and
    the spread of that makes the tail. Admitting a few at a time serves requests nearly
    in the order they came (as a pool of worker threads would), for the same throughput
    with a shorter tail. Asyncio's Semaphore wakes its waiters in order.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.turns = asyncio.Semaphore(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNGATED_PREFIXES):
            await self.app(scope, receive, send)
            return
        async with self.turns:
            await self.app(scope, receive, send)
