from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel

from api.crud import NOT_FOUND, ObjectId
from api.deps import CurrentUser, DatabaseDep, GatewayDep, PagingDep, SessionDep
from core.exceptions import BadRequest
from core.payments import service as payments
from core.payments.gateway import BadSignature
from core.payments.schemas import PaymentCreate, PaymentOut

router = APIRouter(prefix="/api/payments", tags=["payments"])


class EventReceipt(BaseModel):
    received: bool
    duplicate: bool


@router.post(
    "/",
    status_code=201,
    response_model=PaymentOut,
    responses={
        402: {"description": "Declined; the payment is kept as failed"},
        409: {"description": "Idempotency-Key reused with another body"},
        503: {"description": "Gateway not configured or unreachable"},
    },
)
async def create_payment(
    database: DatabaseDep,
    user: CurrentUser,
    gateway: GatewayDep,
    body: PaymentCreate,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> PaymentOut:
    return await payments.create(database, gateway, user, body, idempotency_key or None)


@router.get("/", response_model=list[PaymentOut])
async def list_payments(
    session: SessionDep, user: CurrentUser, page: PagingDep, response: Response
) -> list[PaymentOut]:
    result = await payments.list_page(session, user, page)
    response.headers["X-Total-Count"] = str(result.total)
    return [PaymentOut.of(p) for p in result.items]


@router.get("/{payment_id}/", response_model=PaymentOut, responses=NOT_FOUND)
async def get_payment(session: SessionDep, user: CurrentUser, payment_id: ObjectId) -> PaymentOut:
    return PaymentOut.of(await payments.get(session, user, payment_id))


@router.post(
    "/webhook/",
    response_model=EventReceipt,
    responses={400: {"description": "Stripe-Signature does not verify"}},
)
async def webhook(
    request: Request,
    database: DatabaseDep,
    gateway: GatewayDep,
    stripe_signature: Annotated[str | None, Header()] = None,
) -> EventReceipt:
    payload = await request.body()
    try:
        fresh = await payments.handle_event(database, gateway, payload, stripe_signature)
    except BadSignature as error:
        raise BadRequest(str(error)) from error
    return EventReceipt(received=True, duplicate=not fresh)
