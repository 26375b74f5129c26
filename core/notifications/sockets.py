"""This process's open notification WebSockets: a cap per user, and one query that
checks every socket's token (a logout or an expiry elsewhere sends no event)."""

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

from sqlalchemy import select

from core.auth.service import token_digest
from core.db import Database
from core.models import AuthToken
from core.models.base import utcnow

log = logging.getLogger("finbot.notifications")

SOCKETS_PER_USER = 20  # SPEC section 12
TOKEN_CHECK_SECONDS = 2.0
# Tokens per statement: well under every database's bound on parameters.
TOKENS_PER_QUERY = 500


class TooManySockets(Exception):
    """The user already holds SOCKETS_PER_USER sockets in this process."""


class LiveSockets:
    """Counts each user's sockets, and every `interval` checks the tokens of all of
    them in one query (per TOKENS_PER_QUERY distinct tokens), however many there are.

    The count is this process's: with several processes a user may hold the cap in
    each of them.
    """

    def __init__(
        self,
        database: Database,
        ttl: timedelta,
        *,
        per_user: int = SOCKETS_PER_USER,
        interval: float = TOKEN_CHECK_SECONDS,
    ) -> None:
        self.database = database
        self.ttl = ttl
        self.per_user = per_user
        self.interval = interval
        self.per_user_open: Counter[int] = Counter()
        # Each open socket's token digest and the event set when that token dies.
        self.watched: dict[asyncio.Event, str] = {}
        self.checker: asyncio.Task[None] | None = None

    @contextlib.asynccontextmanager
    async def hold(self, user_id: int, token: str) -> AsyncIterator[asyncio.Event]:
        """A place for one socket of the user while inside; the event is set when its
        token stops authenticating. Raises TooManySockets past the cap."""
        if self.per_user_open[user_id] >= self.per_user:
            raise TooManySockets()
        self.per_user_open[user_id] += 1
        died = asyncio.Event()
        self.watched[died] = token_digest(token)
        if self.checker is None:
            self.checker = asyncio.create_task(self._check_forever(), name="finbot-ws-tokens")
        try:
            yield died
        finally:
            del self.watched[died]
            self.per_user_open[user_id] -= 1
            if not self.per_user_open[user_id]:
                del self.per_user_open[user_id]
            if not self.watched and self.checker is not None:
                self.checker.cancel()
                self.checker = None

    async def check(self) -> None:
        """One round: the events of the sockets whose token no longer authenticates are set."""
        watched = dict(self.watched)
        digests = sorted(set(watched.values()))
        alive: set[str] = set()
        used_since = utcnow() - self.ttl
        async with self.database.session() as session:
            for start in range(0, len(digests), TOKENS_PER_QUERY):
                some = digests[start : start + TOKENS_PER_QUERY]
                query = select(AuthToken.token_hash).where(
                    AuthToken.token_hash.in_(some), AuthToken.last_used_at >= used_since
                )
                alive.update((await session.execute(query)).scalars())
        for died, digest in watched.items():
            if digest not in alive:
                died.set()

    async def _check_forever(self) -> None:
        # Checking does not count as use: an idle open tab does not keep a token alive.
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except Exception:  # a database hiccup is no reason to drop the clients
                log.warning("could not check the WebSockets' tokens; will retry", exc_info=True)
