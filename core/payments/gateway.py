"""What finbot needs from a payment provider. Stripe is one; PayPal would be another."""

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class GatewayPayment:
    provider_payment_id: str
    status: str  # succeeded, processing, requires_action, requires_payment_method, canceled...
    next_action: dict[str, Any] | None = None


@dataclass(frozen=True)
class GatewayEvent:
    id: str
    type: str
    provider_payment_id: str | None
    status: str | None


class PaymentDeclined(Exception):
    """The card or bank said no; `message` is the provider's words for the payer."""

    def __init__(self, message: str, provider_payment_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.provider_payment_id = provider_payment_id


class GatewayUnreachable(Exception):
    """No answer (network, time-out): the payment's fate is unknown, so it stays pending."""


class GatewayRejected(Exception):
    """The provider refused the request itself; `client_error` means the payer's input."""

    def __init__(self, message: str, client_error: bool) -> None:
        super().__init__(message)
        self.message = message
        self.client_error = client_error


class BadSignature(Exception):
    pass


class AmountNotAccepted(Exception):
    """The provider cannot take this amount in this currency (its own minor-unit rules)."""


class PaymentGateway(Protocol):
    name: str

    async def charge(
        self,
        amount_minor: int,
        currency: str,
        payment_method: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> GatewayPayment: ...

    async def fetch(self, provider_payment_id: str) -> GatewayPayment: ...

    def provider_amount(self, amount_minor: int, currency: str) -> int:
        """`amount_minor` (ISO 4217 minor units, as stored) in the provider's own units.

        Raises AmountNotAccepted when the provider cannot express it exactly.
        """
        ...

    def provider_exponent(self, currency: str) -> int:
        """How many decimals the provider's amounts in `currency` have."""
        ...

    def parse_event(self, payload: bytes, signature: str | None) -> GatewayEvent: ...
