"""The acquirer emulator's own contract: declines, validation, idempotency, faults, clock."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from activities.payments import errors as e
from activities.payments.emulator_adapter import EmulatorGateway
from core.money import Money
from tests.support.acquirer import AcquirerEmulator, HoldDeclined, acquirer_emulator
from workflows.contracts import AuthorizeInput, CaptureInput, VerifyInput, VoidInput

pytestmark = pytest.mark.integration

EUR_50 = Money(amount_minor=5000, currency="EUR")


@pytest.mark.parametrize(
    ("card", "code"),
    [
        ("4000000000009995", "insufficient_funds"),
        ("4000000000000002", "do_not_honor"),
        ("4000000000000069", "expired_card"),
    ],
)
def test_terminal_declines_leave_no_hold(acquirer: AcquirerEmulator, card: str, code: str) -> None:
    holds_before = len(acquirer.truth()["holds"])
    with pytest.raises(HoldDeclined) as declined:
        acquirer.place_hold("term-d", 5000, "EUR", card_number=card)
    assert declined.value.decline_code == code
    truth = acquirer.truth()
    assert len(truth["holds"]) == holds_before
    assert truth["declines"][-1]["decline_code"] == code


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("tok_chargeDeclinedInsufficientFunds", "insufficient_funds"),
        ("tok_chargeDeclined", "do_not_honor"),
        ("tok_chargeDeclinedExpiredCard", "expired_card"),
        ("tok_unknown", "unknown_payment_token"),
    ],
)
async def test_token_declines(acquirer: AcquirerEmulator, token: str, code: str) -> None:
    gateway = EmulatorGateway(acquirer.url)
    try:
        with pytest.raises(e.PaymentDeclined) as declined:
            await gateway.authorize(
                AuthorizeInput(payment_token=token, amount=EUR_50, idempotency_key=uuid.uuid4().hex)
            )
        assert declined.value.decline_code == code
    finally:
        await gateway.aclose()


def test_mastercard_brand_and_no_card_number_kept(acquirer: AcquirerEmulator) -> None:
    ref = acquirer.place_hold("term-m", 700, "DKK", card_number="5555555555554444")
    hold = acquirer.hold(ref)
    assert (hold["card_brand"], hold["card_last4"], hold["currency"]) == (
        "MASTERCARD",
        "4444",
        "DKK",
    )
    assert "5555555555554444" not in str(acquirer.truth())


def test_bad_card_number_is_a_400_that_does_not_echo_it(acquirer: AcquirerEmulator) -> None:
    body = {
        "terminal_id": "t",
        "amount_minor": 100,
        "currency": "EUR",
        "card_number": "4242424242424241",
    }
    response = httpx.post(f"{acquirer.url}/v1/terminal/holds", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request"
    assert "4242424242424241" not in response.text
    body["card_number"] = "not-a-card-number-xx"
    response = httpx.post(f"{acquirer.url}/v1/terminal/holds", json=body)
    assert response.status_code == 400 and "not-a-card-number-xx" not in response.text


def test_writes_need_a_key_and_a_key_binds_its_body(acquirer: AcquirerEmulator) -> None:
    ref = acquirer.place_hold("term-k", 5000, "EUR")
    url = f"{acquirer.url}/v1/authorizations/{ref}/capture"
    no_key = httpx.post(url, json={"amount_minor": 100, "currency": "EUR"})
    assert no_key.status_code == 400
    assert no_key.json()["error"]["type"] == "idempotency_key_required"
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    first = httpx.post(url, json={"amount_minor": 100, "currency": "EUR"}, headers=headers)
    assert first.status_code == 200
    other = httpx.post(url, json={"amount_minor": 200, "currency": "EUR"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["error"]["type"] == "idempotency_key_reused"
    assert acquirer.hold(ref)["captures"][0]["amount_minor"] == 100


async def test_5xx_and_timeout_before_commit_move_nothing(acquirer: AcquirerEmulator) -> None:
    ref = acquirer.place_hold("term-f", 5000, "EUR")
    gateway = EmulatorGateway(acquirer.url, timeout_s=1.0)
    request = CaptureInput(authorization_id=ref, amount=EUR_50, idempotency_key=uuid.uuid4().hex)
    try:
        acquirer.set_faults(
            [
                {"operation": "capture", "kind": "5xx", "count": 1},
                {"operation": "capture", "kind": "timeout_before_commit", "count": 1, "delay_s": 5},
            ]
        )
        for _ in range(2):
            with pytest.raises(e.PaymentUnavailable):
                await gateway.capture(request)
            assert acquirer.hold(ref)["captures"] == []
        assert [r["fired"] for r in acquirer.faults()["rules"]] == [1, 1]
        result = await gateway.capture(request)
        assert result.captured == EUR_50
    finally:
        acquirer.clear_faults()
        await gateway.aclose()
    assert len(acquirer.hold(ref)["captures"]) == 1


async def _verify_outcomes(gateway: EmulatorGateway, ref: str, n: int) -> list[bool]:
    outcomes = []
    for i in range(n):
        try:
            await gateway.verify(VerifyInput(authorization_ref=ref, idempotency_key=str(i)))
            outcomes.append(True)
        except e.PaymentUnavailable:
            outcomes.append(False)
    return outcomes


async def test_fault_rates_are_seeded(acquirer: AcquirerEmulator) -> None:
    rules = [{"operation": "*", "kind": "5xx", "rate": 0.5}]
    gateway = EmulatorGateway(acquirer.url)
    ref = acquirer.place_hold("term-r", 100, "EUR")
    try:
        acquirer.set_faults(rules, seed=7)
        first = await _verify_outcomes(gateway, ref, 20)
        fired = acquirer.faults()["rules"][0]["fired"]
        acquirer.set_faults(rules, seed=7)
        again = await _verify_outcomes(gateway, ref, 20)
    finally:
        acquirer.clear_faults()
        await gateway.aclose()
    assert first == again and 0 < fired < 20 and first.count(False) == fired


def test_hold_expiry_follows_time_scale(log_dir: Path) -> None:
    env = {"PAYMENTS_EMU_HOLD_EXPIRY_S": "7200", "PAYMENTS_EMU_CNP_HOLD_EXPIRY_S": "36000"}
    with acquirer_emulator(log_dir, time_scale=3600.0, env=env) as acq:
        hold = acq.hold(acq.place_hold("term-t", 100, "EUR"))
        lifetime = datetime.fromisoformat(hold["expires_at"]) - datetime.fromisoformat(
            hold["created_at"]
        )
        assert lifetime.total_seconds() == pytest.approx(2.0)  # 2 h / 3600
        acq.reset()
        assert acq.truth()["holds"] == []


async def test_slow_fault_delays_then_commits(acquirer: AcquirerEmulator) -> None:
    ref = acquirer.place_hold("term-s", 900, "EUR")
    acquirer.set_faults([{"operation": "void", "kind": "slow", "count": 1, "delay_s": 0.2}])
    gateway = EmulatorGateway(acquirer.url)
    try:
        result = await gateway.void(VoidInput(authorization_id=ref, idempotency_key="slow-void"))
    finally:
        acquirer.clear_faults()
        await gateway.aclose()
    assert result.released.amount_minor == 900
    assert acquirer.hold(ref)["status"] == "voided"
