import json
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from core.auth.schemas import Currency
from core.currencies import CURRENCY_EXPONENTS
from core.models import Payment
from core.money import MoneySerializer
from core.notifications.schemas import UTCTimestamp
from core.schemas import Schema


class PaymentCreate(Schema):
    # Decimal places are checked against the currency's own exponent (JPY 0, KWD 3).
    amount: Annotated[Decimal, Field(gt=0, max_digits=15)]
    currency: Currency
    payment_method: Annotated[
        str, StringConstraints(min_length=3, max_length=255, pattern=r"^[A-Za-z0-9_]+$")
    ]


class PaymentOut(BaseModel):
    id: int
    amount: Annotated[Decimal, MoneySerializer]
    currency: str
    status: str
    payment_method: str
    created_at: UTCTimestamp
    stripe_payment_intent_id: str | None
    next_action: dict[str, Any] | None = None
    failure_message: str | None = None

    @classmethod
    def of(cls, payment: Payment) -> "PaymentOut":
        exponent = CURRENCY_EXPONENTS.get(payment.currency, 2)
        return cls(
            id=payment.id,
            amount=Decimal(payment.amount_minor).scaleb(-exponent),
            currency=payment.currency,
            status=payment.status,
            payment_method=payment.payment_method,
            created_at=payment.created_at,
            stripe_payment_intent_id=payment.provider_payment_id,
            next_action=json.loads(payment.next_action) if payment.next_action else None,
            failure_message=payment.failure_message,
        )
