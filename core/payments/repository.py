from datetime import datetime

from sqlalchemy import select

from core.crud import OwnedRepository, insert_for
from core.models import Payment, ProcessedEvent


class PaymentRepository(OwnedRepository[Payment]):
    model = Payment
    newest_first = ("created_at", "id")

    async def by_key(self, user_id: int, key: str) -> Payment | None:
        query = select(Payment).where(Payment.user_id == user_id, Payment.idempotency_key == key)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def by_id(self, payment_id: int) -> Payment | None:
        return await self.session.get(Payment, payment_id)

    async def by_provider_id(self, provider_payment_id: str) -> Payment | None:
        query = select(Payment).where(Payment.provider_payment_id == provider_payment_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def pending_before(self, cutoff: datetime, limit: int = 500) -> list[Payment]:
        query = (
            select(Payment)
            .where(Payment.status == "pending", Payment.created_at < cutoff)
            .order_by(Payment.id)
            .limit(limit)
        )
        return list((await self.session.execute(query)).scalars())

    async def record_event(self, event_id: str) -> bool:
        """True the first time an event id is seen, False ever after."""
        insert = insert_for(self.session)
        statement = (
            insert(ProcessedEvent)
            .values(id=event_id)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(ProcessedEvent.id)
        )
        return (await self.session.execute(statement)).first() is not None
