"""Pick the payment adapter from settings (`CHARGEPAY_PAYMENTS_ADAPTER`)."""

from __future__ import annotations

from activities.payments.emulator_adapter import EmulatorGateway
from activities.payments.protocol import PaymentGateway
from activities.payments.stripe_adapter import StripeGateway
from settings import Settings


def build_gateway(settings: Settings) -> PaymentGateway:
    if settings.payments_adapter == "stripe":
        if not settings.stripe_api_key:
            raise ValueError("CHARGEPAY_STRIPE_API_KEY is required for the stripe adapter")
        return StripeGateway(
            settings.stripe_api_key, settings.stripe_api_base, settings.payments_timeout_s
        )
    return EmulatorGateway(settings.payments_base_url, settings.payments_timeout_s)
