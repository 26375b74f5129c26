"""Live push of new notifications to the WebSockets of this process and, through
Redis pub/sub, of every other finbot process."""

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from core.notifications.schemas import NotificationOut

log = logging.getLogger("finbot.notifications")

CHANNEL = "finbot:notifications"
QUEUE_SIZE = 1000  # per socket; a socket that falls this far behind loses the oldest


class NotificationBus:
    def __init__(self, redis_url: str | None = None) -> None:
        self._queues: dict[int, set[asyncio.Queue[NotificationOut]]] = defaultdict(set)
        self._redis: Redis | None = Redis.from_url(redis_url) if redis_url else None
        self._listener: asyncio.Task[None] | None = None
        self.subscribed = asyncio.Event()

    @property
    def uses_redis(self) -> bool:
        return self._redis is not None

    async def start(self) -> None:
        """Listen on Redis (when configured) for what other processes publish."""
        if self._redis is not None and self._listener is None:
            self._listener = asyncio.create_task(self._listen(), name="finbot-bus-listener")

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        if self._redis is not None:
            await self._redis.aclose()

    @contextlib.asynccontextmanager
    async def subscribe(self, user_id: int) -> AsyncIterator[asyncio.Queue[NotificationOut]]:
        queue: asyncio.Queue[NotificationOut] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._queues[user_id].add(queue)
        try:
            yield queue
        finally:
            self._queues[user_id].discard(queue)
            if not self._queues[user_id]:
                del self._queues[user_id]

    async def publish(self, notifications: Iterable[NotificationOut]) -> None:
        """Push notifications whose transaction has committed."""
        items = list(notifications)
        if not items:
            return
        if self._redis is not None:
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for item in items:
                        pipe.publish(CHANNEL, item.model_dump_json())
                    await pipe.execute()
                return  # our own listener delivers to this process's sockets too
            except (RedisError, OSError) as error:
                log.warning("Redis publish failed (%s); delivering in this process only", error)
        for item in items:
            self._deliver(item)

    def _deliver(self, item: NotificationOut) -> None:
        for queue in self._queues.get(item.user_id, ()):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(item)

    async def _listen(self) -> None:
        assert self._redis is not None
        backoff = 0.5
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    self.subscribed.set()
                    backoff = 0.5
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._deliver(NotificationOut.model_validate_json(message["data"]))
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError, ValueError) as error:
                self.subscribed.clear()
                log.warning("Redis subscription lost (%s); retrying in %.1fs", error, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
