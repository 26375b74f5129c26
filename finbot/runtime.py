"""One runtime for every process: the database, the notification bus (with Redis
when configured), the document store and the payment gateway, built in one place.

`finbot serve`, `finbot bot`, `finbot scheduler` and `run-once` all enter it;
the front doors receive its parts and never assemble them themselves.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from core.config import Settings
from core.db import Database
from core.notifications.bus import NotificationBus
from core.notifications.service import connect_bus
from core.payments import make_gateway
from core.payments.gateway import PaymentGateway
from storage import DocumentStore, LocalStore, S3Store


def make_store(settings: Settings) -> DocumentStore:
    if settings.s3_bucket:
        return S3Store(settings.s3_bucket, settings.s3_endpoint_url, settings.s3_region)
    return LocalStore(settings.storage_dir / "documents", settings.public_url, settings.signing_key)


@dataclass
class Runtime:
    settings: Settings
    database: Database
    bus: NotificationBus
    store: DocumentStore
    gateway: PaymentGateway | None

    @classmethod
    def build(cls, settings: Settings) -> "Runtime":
        """The parts, not yet started: cheap and synchronous (an app factory calls it)."""
        database = Database(settings.database_url)
        bus = NotificationBus(settings.redis_url)
        connect_bus(database, bus)
        return cls(settings, database, bus, make_store(settings), make_gateway(settings))

    @asynccontextmanager
    async def running(self, *, listen: bool = True) -> AsyncIterator["Runtime"]:
        """While entered, hear on Redis what other processes publish (only a process
        with WebSockets needs to: `listen`); close the bus and the database on the way out."""
        if listen:
            await self.bus.start()
        try:
            yield self
        finally:
            await self.bus.stop()
            await self.database.dispose()


@asynccontextmanager
async def runtime(settings: Settings, *, listen: bool = False) -> AsyncIterator[Runtime]:
    """The runtime of a process without WebSockets (the bot, the scheduler): it
    publishes notifications but has no one to hear them for."""
    async with Runtime.build(settings).running(listen=listen) as started:
        yield started
