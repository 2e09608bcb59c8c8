"""Reconciliation's hold list on Stripe, over real HTTP against the in-process Stripe stub
(localstripe cannot filter a list by `created`): only intents marked chargepay's are
listed, Stripe's statuses map to the protocol's, and every page is read."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from activities.payments import stripe_holds
from activities.payments.stripe_adapter import CAPABILITIES, StripeGateway
from core.money import Money
from tests.payments.stripe_stub import StripeStub
from workflows.contracts import AuthorizeInput

NOW = int(time.time())
MARKED = {"chargepay_hold": "session-alpha-t1-x/authorize"}


def _since(seconds_ago: int) -> datetime:
    return datetime.fromtimestamp(NOW - seconds_ago, UTC)


async def test_only_intents_marked_chargepays_are_listed(
    stripe_stub: StripeStub, gateway: StripeGateway
) -> None:
    stripe_stub.seed("pi_token", 5000, "EUR", created=NOW - 30, metadata=dict(MARKED))
    stripe_stub.seed(
        "pi_terminal", 3000, "EUR", created=NOW - 20, metadata={"chargepay_terminal": "T-7"}
    )
    stripe_stub.seed("pi_webshop", 9900, "EUR", created=NOW - 10)  # not ours: never voided
    holds = await gateway.list_holds(_since(60))
    assert [h.authorization_id for h in holds] == ["pi_token", "pi_terminal"]  # oldest first
    token, terminal = holds
    assert token.status == terminal.status == "open"
    assert token.amount == Money(amount_minor=5000, currency="EUR")
    assert (token.terminal_id, terminal.terminal_id) == (None, "T-7")
    assert token.created_at == datetime.fromtimestamp(NOW - 30, UTC)
    assert CAPABILITIES.list_holds


async def test_stripe_statuses_map_to_the_protocols(
    stripe_stub: StripeStub, gateway: StripeGateway
) -> None:
    seen = {"metadata": dict(MARKED), "created": NOW - 5}
    stripe_stub.seed("pi_voided", 1000, "EUR", status="canceled", **seen)
    stripe_stub.seed(
        "pi_expired", 1000, "EUR", status="canceled", cancellation_reason="automatic", **seen
    )
    charge = {"captured": True, "amount": 1000, "amount_captured": 700, "amount_refunded": 200}
    stripe_stub.seed(
        "pi_captured", 1000, "EUR", status="succeeded", amount_received=700,
        latest_charge=charge, **seen,
    )  # fmt: skip
    stripe_stub.seed("pi_unconfirmed", 1000, "EUR", status="requires_payment_method", **seen)
    holds = {h.authorization_id: h for h in await gateway.list_holds(_since(60))}
    assert {k: h.status for k, h in holds.items()} == {
        "pi_voided": "voided",
        "pi_expired": "expired",
        "pi_captured": "captured",
    }
    assert (holds["pi_captured"].captured_minor, holds["pi_captured"].refunded_minor) == (700, 200)
    opened = await gateway.list_holds(_since(60), status="captured")
    assert [h.authorization_id for h in opened] == ["pi_captured"]


async def test_every_page_is_read_and_the_window_is_sent(
    stripe_stub: StripeStub, gateway: StripeGateway
) -> None:
    count = stripe_holds.PAGE_SIZE * 2 + 5
    for i in range(count):
        stripe_stub.seed(f"pi_{i:04d}", 100, "EUR", created=NOW - i, metadata=dict(MARKED))
    stripe_stub.seed("pi_too_old", 100, "EUR", created=NOW - 10_000, metadata=dict(MARKED))
    holds = await gateway.list_holds(_since(count))
    assert len(holds) == count
    assert len({h.authorization_id for h in holds}) == count
    lists = [s for s in stripe_stub.sent if s.method == "GET" and s.path == "/v1/payment_intents"]
    assert len(lists) == 3


async def test_a_hold_chargepay_places_is_marked_its_own(
    stripe_stub: StripeStub, gateway: StripeGateway
) -> None:
    key = "session-alpha-t1-y/authorize"
    auth = await gateway.authorize(
        AuthorizeInput(
            payment_token="pm_card_visa",
            amount=Money(amount_minor=2500, currency="EUR"),
            idempotency_key=key,
        )
    )
    (created,) = stripe_stub.posts("/v1/payment_intents")
    assert created.form["metadata[chargepay_hold]"] == key
    listed = await gateway.list_holds(_since(60))
    assert [h.authorization_id for h in listed] == [auth.authorization_id]
