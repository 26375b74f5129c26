"""Payments behind a provider-neutral gateway (Stripe today)."""

from core.config import Settings
from core.payments.gateway import PaymentGateway


def make_gateway(settings: Settings) -> PaymentGateway | None:
    """The configured provider, or None: payments then answer 503."""
    if settings.stripe_api_key is None:
        return None
    from core.payments.stripe_gateway import StripeGateway

    secret = settings.stripe_webhook_secret
    return StripeGateway(
        settings.stripe_api_key.get_secret_value(),
        settings.stripe_api_base,
        secret.get_secret_value() if secret else None,
    )
