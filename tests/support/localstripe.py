"""localstripe (a stateful Stripe fake from PyPI) as a subprocess on a free port.

localstripe pickles its store to /tmp/localstripe.pickle on every write; `--from-scratch`
keeps each test run from loading another run's state. It honours no Idempotency-Key, has
no increment_authorization and no hold expiry (see activities/payments/README.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support.processes import ServerProcess, python_server

API_KEY = "sk_test_chargepay"
APPROVED_PM = "pm_card_visa"
# localstripe declines this one on PaymentIntent confirm (402 card_declined); the usual
# 4000000000000002 (`pm_card_visa_chargeDeclined`) is only declined when attached.
DECLINING_PM = "pm_card_chargeCustomerFail"


@dataclass
class LocalStripe:
    server: ServerProcess
    _client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self._client = httpx.Client(
            base_url=self.server.url,
            timeout=10.0,
            headers={"Authorization": f"Bearer {API_KEY}"},
        )

    @property
    def url(self) -> str:
        return self.server.url

    def place_card_present_hold(
        self, amount_minor: int, currency: str, payment_method: str = APPROVED_PM
    ) -> str:
        """What Stripe Terminal leaves behind: a confirmed manual-capture PaymentIntent."""
        response = self._client.post(
            "/v1/payment_intents",
            data={
                "amount": str(amount_minor),
                "currency": currency.lower(),
                "payment_method": payment_method,
                "capture_method": "manual",
                "confirm": "true",
            },
        )
        response.raise_for_status()
        return str(response.json()["id"])

    def intent(self, intent_id: str) -> dict[str, Any]:
        """Ground truth: the PaymentIntent as localstripe holds it (read with raw HTTP)."""
        response = self._client.get(f"/v1/payment_intents/{intent_id}")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def intents(self) -> list[dict[str, Any]]:
        response = self._client.get("/v1/payment_intents", params={"limit": 100})
        response.raise_for_status()
        return list(response.json()["data"])

    def close(self) -> None:
        self._client.close()


@contextmanager
def localstripe_server(log_dir: Path) -> Iterator[LocalStripe]:
    with python_server(
        ["-m", "localstripe", "--port", "{port}", "--from-scratch"],
        health_path="/js.stripe.com/v3/",
        log_dir=log_dir,
        name="localstripe",
    ) as server:
        stripe_fake = LocalStripe(server)
        try:
            yield stripe_fake
        finally:
            stripe_fake.close()
