"""Stripe behind the PaymentGateway interface; the SDK's blocking calls run in threads."""

import asyncio
import json
from collections.abc import Callable
from typing import Any

import stripe

from core.currencies import CURRENCY_EXPONENTS
from core.payments.gateway import (
    AmountNotAccepted,
    BadSignature,
    GatewayEvent,
    GatewayPayment,
    GatewayRejected,
    GatewayUnreachable,
    PaymentDeclined,
)

# Stripe's own minor units (https://docs.stripe.com/currencies), which differ from
# ISO 4217 for some currencies: MGA has two ISO decimals but none at Stripe; ISK
# and UGX have none in ISO but two at Stripe (whole units, so divisible by 100).
STRIPE_ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF VND VUV XAF XOF XPF".split()
)
# Three decimals, but the last digit must be 0 (card networks settle in steps of 10).
STRIPE_THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())


def stripe_exponent(currency: str) -> int:
    if currency in STRIPE_ZERO_DECIMAL:
        return 0
    if currency in STRIPE_THREE_DECIMAL:
        return 3
    return 2


def stripe_amount(amount_minor: int, currency: str) -> int:
    """ISO 4217 minor units -> the integer Stripe expects for `currency`."""
    shift = stripe_exponent(currency) - CURRENCY_EXPONENTS[currency]
    if shift >= 0:
        amount = amount_minor * 10**shift
    else:
        amount, rest = divmod(amount_minor, 10**-shift)
        if rest:
            raise AmountNotAccepted(f"Stripe takes {currency} in whole units only")
    if currency in STRIPE_THREE_DECIMAL and amount % 10:
        raise AmountNotAccepted(f"Stripe takes {currency} amounts whose last decimal is 0")
    return amount


class StripeGateway:
    name = "stripe"

    def __init__(self, api_key: str, api_base: str | None, webhook_secret: str | None) -> None:
        addresses: Any = {"api": api_base} if api_base else None
        self.client = stripe.StripeClient(api_key, base_addresses=addresses, max_network_retries=1)
        self.webhook_secret = webhook_secret

    async def _call(self, function: Callable[[], Any]) -> GatewayPayment:
        try:
            intent = (await asyncio.to_thread(function)).to_dict()
        except stripe.CardError as error:
            intent_id = None
            if error.error is not None and error.error.payment_intent is not None:
                intent_id = error.error.payment_intent.id
            raise PaymentDeclined(error.user_message or "card declined", intent_id) from error
        except (stripe.APIConnectionError, stripe.RateLimitError) as error:
            raise GatewayUnreachable(str(error.user_message or error)) from error
        except stripe.InvalidRequestError as error:
            raise GatewayRejected(error.user_message or "invalid payment", True) from error
        except stripe.StripeError as error:
            raise GatewayRejected(error.user_message or "payment provider error", False) from error
        return GatewayPayment(
            provider_payment_id=intent["id"],
            status=intent["status"],
            next_action=intent.get("next_action"),
        )

    async def charge(
        self,
        amount_minor: int,
        currency: str,
        payment_method: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> GatewayPayment:
        params: Any = {
            "amount": stripe_amount(amount_minor, currency),
            "currency": currency.lower(),
            "payment_method": payment_method,
            "payment_method_types": ["card"],
            "confirm": True,
            "metadata": metadata,
        }
        options: Any = {"idempotency_key": idempotency_key}
        return await self._call(
            lambda: self.client.v1.payment_intents.create(params=params, options=options)
        )

    async def fetch(self, provider_payment_id: str) -> GatewayPayment:
        return await self._call(
            lambda: self.client.v1.payment_intents.retrieve(provider_payment_id)
        )

    def provider_amount(self, amount_minor: int, currency: str) -> int:
        return stripe_amount(amount_minor, currency)

    def provider_exponent(self, currency: str) -> int:
        return stripe_exponent(currency)

    def parse_event(self, payload: bytes, signature: str | None) -> GatewayEvent:
        if not self.webhook_secret:
            raise BadSignature("no webhook secret configured")
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"), signature or "", self.webhook_secret, tolerance=300
            )
            event = json.loads(payload)
            obj = event["data"]["object"]
            return GatewayEvent(
                id=str(event["id"]),
                type=str(event["type"]),
                provider_payment_id=obj.get("id")
                if obj.get("object") == "payment_intent"
                else None,
                status=obj.get("status"),
            )
        except (stripe.SignatureVerificationError, ValueError, KeyError, TypeError) as error:
            raise BadSignature("invalid Stripe-Signature") from error
