"""Payments: the row is written before the provider is called and updated after,
so no crash or time-out loses track of money; status changes notify the owner."""

import hashlib
import json
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.crud import Page, Paging, owned
from core.currencies import CURRENCY_EXPONENTS
from core.db import Database
from core.exceptions import (
    BadGateway,
    Conflict,
    Invalid,
    PaymentRequired,
    ServiceUnavailable,
)
from core.models import Payment, User
from core.models.base import utcnow
from core.notifications.service import notify
from core.payments.gateway import (
    AmountNotAccepted,
    GatewayPayment,
    GatewayRejected,
    GatewayUnreachable,
    PaymentDeclined,
    PaymentGateway,
)
from core.payments.repository import PaymentRepository
from core.payments.schemas import PaymentCreate, PaymentOut

# Stripe's smallest charge per currency, in minor units (its documented minimums).
MINIMUM_MINOR = {
    "USD": 50, "EUR": 50, "GBP": 30, "AUD": 50, "CAD": 50, "CHF": 50, "NZD": 50, "SGD": 50,
    "BRL": 50, "INR": 50, "DKK": 250, "NOK": 300, "SEK": 300, "PLN": 200, "CZK": 1500,
    "HUF": 17500, "HKD": 400, "MXN": 1000, "RON": 200, "BGN": 100, "AED": 200, "THB": 1000,
    "MYR": 200, "JPY": 50,
}  # fmt: skip
MAXIMUM_MINOR = 99_999_999  # Stripe takes at most eight digits of minor units
RECONCILE_AFTER = timedelta(minutes=1)
GIVE_UP_AFTER = timedelta(hours=23)  # Stripe keeps idempotency keys for 24 hours
# Stripe's words for "this attempt failed" become ours.
STATUS_NAMES = {"requires_payment_method": "failed"}
# Provider events arrive in any order (and retried): a status only ever moves forward.
# The final states never change; the others rank by how far the payment has got.
FINAL_STATUSES = frozenset({"succeeded", "failed", "canceled"})
PROGRESS = {
    "pending": 0,
    "requires_confirmation": 1,
    "requires_action": 2,
    "processing": 3,
    "requires_capture": 4,
}
PROVIDER_KEY_LENGTH = 255  # Stripe refuses longer idempotency keys


def moves_forward(current: str, new: str) -> bool:
    if current in FINAL_STATUSES:
        return False
    if new in FINAL_STATUSES:
        return True
    return PROGRESS.get(new, 0) > PROGRESS.get(current, 0)


def to_minor(amount: Decimal, currency: str) -> int:
    exponent = CURRENCY_EXPONENTS[currency]
    minor = amount.scaleb(exponent)
    if minor != minor.to_integral_value():
        places = f"{exponent} decimal" + ("" if exponent == 1 else "s")
        raise Invalid(f"{currency} amounts have at most {places}", field="amount")
    return int(minor)


def _check_limits(gateway: PaymentGateway, amount_minor: int, currency: str) -> None:
    """The provider's own rules, in the provider's own units (which may differ from ISO)."""
    try:
        sent = gateway.provider_amount(amount_minor, currency)
    except AmountNotAccepted as refused:
        raise Invalid(str(refused), field="amount") from refused
    exponent = gateway.provider_exponent(currency)
    minimum = MINIMUM_MINOR.get(currency, 1)
    if sent < minimum:
        smallest = Decimal(minimum).scaleb(-exponent)
        raise Invalid(f"the smallest {currency} payment is {smallest}", field="amount")
    if sent > MAXIMUM_MINOR:
        largest = Decimal(MAXIMUM_MINOR).scaleb(-exponent)
        raise Invalid(f"the largest {currency} payment is {largest}", field="amount")


def _fingerprint(amount_minor: int, currency: str, payment_method: str) -> str:
    return hashlib.sha256(f"{amount_minor}|{currency}|{payment_method}".encode()).hexdigest()


def provider_key(payment: Payment) -> str:
    """The idempotency key the provider sees: retries and reconciliation reuse it.

    The client's key may itself be 255 characters; with our prefix it would pass
    the provider's limit, so a long one is replaced by its digest (still one key
    per user and client key).
    """
    if not payment.idempotency_key:
        return f"finbot-payment-{payment.id}"
    key = f"finbot-{payment.user_id}-{payment.idempotency_key}"
    if len(key) > PROVIDER_KEY_LENGTH:
        digest = hashlib.sha256(payment.idempotency_key.encode()).hexdigest()
        key = f"finbot-{payment.user_id}-sha256-{digest}"
    return key


async def _set_status(
    session: AsyncSession,
    payment: Payment,
    status: str,
    *,
    provider_payment_id: str | None = None,
    next_action: dict[str, object] | None = None,
    failure_message: str | None = None,
) -> None:
    status = STATUS_NAMES.get(status, status)
    if provider_payment_id and not payment.provider_payment_id:
        payment.provider_payment_id = provider_payment_id
    if status != payment.status and not moves_forward(payment.status, status):
        await session.flush()  # a late or repeated event: what we know is newer
        return
    payment.next_action = json.dumps(next_action) if next_action else None
    if failure_message is not None:
        payment.failure_message = failure_message
    if status == payment.status:
        await session.flush()
        return
    payment.status = status
    await session.flush()
    shown = PaymentOut.of(payment)
    await notify(
        session,
        payment.user_id,
        "payment",
        f"Payment of {shown.amount} {payment.currency}: {status.replace('_', ' ')}",
        f"payment:{payment.id}:{status}",
    )


async def _apply(session: AsyncSession, payment_id: int, result: GatewayPayment) -> Payment:
    payment = await PaymentRepository(session).by_id(payment_id)
    assert payment is not None
    await _set_status(
        session,
        payment,
        result.status,
        provider_payment_id=result.provider_payment_id,
        next_action=result.next_action,
    )
    return payment


async def _fail(
    database: Database, payment_id: int, message: str, provider_payment_id: str | None = None
) -> None:
    async with database.session() as session:
        payment = await PaymentRepository(session).by_id(payment_id)
        assert payment is not None
        await _set_status(
            session,
            payment,
            "failed",
            provider_payment_id=provider_payment_id,
            failure_message=message,
        )


async def create(
    database: Database,
    gateway: PaymentGateway,
    user: User,
    data: PaymentCreate,
    idempotency_key: str | None,
) -> PaymentOut:
    amount_minor = to_minor(data.amount, data.currency)
    _check_limits(gateway, amount_minor, data.currency)
    fingerprint = _fingerprint(amount_minor, data.currency, data.payment_method)

    # 1. The pending row, committed before the provider hears of it.
    try:
        async with database.session() as session:
            repository = PaymentRepository(session)
            if idempotency_key:
                existing = await repository.by_key(user.id, idempotency_key)
                if existing is not None:
                    if existing.request_fingerprint != fingerprint:
                        raise Conflict("Idempotency-Key was used with a different payment")
                    return PaymentOut.of(existing)
            payment = Payment(
                user_id=user.id,
                amount_minor=amount_minor,
                currency=data.currency,
                payment_method=data.payment_method,
                status="pending",
                provider=gateway.name,
                idempotency_key=idempotency_key,
                request_fingerprint=fingerprint,
            )
            await repository.add(payment)
    except IntegrityError as error:  # the same key, sent twice at once
        raise Conflict("a payment with this Idempotency-Key is in progress") from error

    # 2. The provider, outside any transaction.
    try:
        result = await gateway.charge(
            amount_minor,
            data.currency,
            data.payment_method,
            provider_key(payment),
            {"finbot_payment_id": str(payment.id), "finbot_user_id": str(user.id)},
        )
    except PaymentDeclined as declined:
        await _fail(database, payment.id, declined.message, declined.provider_payment_id)
        raise PaymentRequired(declined.message) from declined
    except GatewayUnreachable as error:
        raise ServiceUnavailable(
            "payment gateway unreachable; the payment is kept as pending and will be reconciled"
        ) from error
    except GatewayRejected as rejected:
        await _fail(database, payment.id, rejected.message)
        if rejected.client_error:
            raise Invalid(rejected.message, field="payment_method") from rejected
        raise BadGateway(rejected.message) from rejected

    # 3. What the provider said.
    async with database.session() as session:
        return PaymentOut.of(await _apply(session, payment.id, result))


async def get(session: AsyncSession, user: User, payment_id: int) -> Payment:
    return await owned(PaymentRepository(session), user, payment_id, "payment")


async def list_page(session: AsyncSession, user: User, paging: Paging) -> Page[Payment]:
    return await PaymentRepository(session).list_page(user.id, paging)


async def handle_event(
    database: Database, gateway: PaymentGateway, payload: bytes, signature: str | None
) -> bool:
    """Apply a signed provider event; False when it was seen before. Raises BadSignature."""
    event = gateway.parse_event(payload, signature)
    async with database.session() as session:
        repository = PaymentRepository(session)
        if not await repository.record_event(event.id):
            return False
        if event.provider_payment_id and event.status:
            payment = await repository.by_provider_id(event.provider_payment_id)
            if payment is not None:
                await _set_status(session, payment, event.status)
    return True


async def reconcile(
    database: Database, gateway: PaymentGateway, now: datetime | None = None
) -> int:
    """Settle payments left pending by a crash or a time-out; returns how many changed.

    With the provider's id, ask for the status. Without one, the first call
    never got an answer: repeat it under the same idempotency key, which the
    provider answers with the original payment if it did arrive.
    """
    now = now or utcnow()
    async with database.session() as session:
        pending = await PaymentRepository(session).pending_before(now - RECONCILE_AFTER)
    changed = 0
    for payment in pending:
        try:
            if payment.provider_payment_id:
                result = await gateway.fetch(payment.provider_payment_id)
            elif now - payment.created_at > GIVE_UP_AFTER:
                await _fail(database, payment.id, "the payment provider never answered")
                changed += 1
                continue
            else:
                result = await gateway.charge(
                    payment.amount_minor,
                    payment.currency,
                    payment.payment_method,
                    provider_key(payment),
                    {"finbot_payment_id": str(payment.id), "finbot_user_id": str(payment.user_id)},
                )
        except GatewayUnreachable:
            break  # still down: the next run tries again
        except (PaymentDeclined, GatewayRejected) as refused:
            await _fail(database, payment.id, refused.message)
            changed += 1
            continue
        async with database.session() as session:
            await _apply(session, payment.id, result)
        changed += 1
    return changed
