"""The acquirer emulator's fault kinds over real HTTP: 4xx refusals the adapter takes as
definitive, work that lands after the caller gave up (timeout_then_commit), and rules
firing on exactly the intended calls."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from activities.payments import errors as e
from activities.payments.emulator_adapter import EmulatorGateway
from core.money import Money
from tests.support.acquirer import AcquirerEmulator, Operation, acquirer_emulator, fault_rule
from workflows.contracts import AuthorizeInput, CaptureInput, IncrementInput, VerifyInput

pytestmark = pytest.mark.integration
EUR_50 = Money(amount_minor=5000, currency="EUR")
DELAY_S = 1.5  # the hold of a timeout_then_commit: long enough to read during it


@pytest.fixture(scope="module")
def acquirer(log_dir: Path) -> Iterator[AcquirerEmulator]:
    with acquirer_emulator(log_dir, time_scale=60.0) as acq:
        yield acq


@pytest.fixture
def acq(acquirer: AcquirerEmulator) -> AcquirerEmulator:
    acquirer.reset()
    return acquirer


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def _authorize(acq: AcquirerEmulator) -> httpx.Response:
    body = {"payment_token": "tok_visa", "amount_minor": 5000, "currency": "EUR"}
    return httpx.post(f"{acq.url}/v1/authorizations", json=body, headers=_key())


def test_4xx_defaults_to_invalid_request(acq: AcquirerEmulator) -> None:
    ref = acq.place_hold("term-4", 5000, "EUR")
    acq.set_faults([fault_rule("verify", "4xx", count=1)])
    raw = httpx.get(f"{acq.url}/v1/authorizations/{ref}")
    assert raw.status_code == 400
    assert raw.json() == {"error": {"type": "invalid_request", "message": "injected 4xx"}}
    assert httpx.get(f"{acq.url}/v1/authorizations/{ref}").status_code == 200


async def test_4xx_on_verify_is_definitive(acq: AcquirerEmulator) -> None:
    ref = acq.place_hold("term-4", 5000, "EUR")
    acq.set_faults([fault_rule("verify", "4xx", count=1)])
    gateway = EmulatorGateway(acq.url)
    try:
        with pytest.raises(e.PaymentRequestInvalid):
            await gateway.verify(VerifyInput(authorization_ref=ref, idempotency_key="v"))
        verified = await gateway.verify(VerifyInput(authorization_ref=ref, idempotency_key="v"))
        assert verified.authorization_id == ref
    finally:
        await gateway.aclose()


async def test_4xx_on_capture_is_definitive_and_moves_nothing(acq: AcquirerEmulator) -> None:
    ref = acq.place_hold("term-c", 5000, "EUR")
    acq.set_faults([fault_rule("capture", "4xx", status=404, error_type="authorization_not_found")])
    gateway = EmulatorGateway(acq.url)
    request = CaptureInput(authorization_id=ref, amount=EUR_50, idempotency_key=uuid.uuid4().hex)
    try:
        with pytest.raises(e.AuthorizationNotFound):
            await gateway.capture(request)
    finally:
        await gateway.aclose()
    hold = acq.hold(ref)
    assert (hold["status"], hold["captures"]) == ("open", [])


async def test_an_increment_the_acquirer_cannot_make_is_unsupported(
    acq: AcquirerEmulator,
) -> None:
    """The error type the fault matrix's `increment/unsupported` cell injects."""
    ref = acq.place_hold("term-i", 2500, "EUR")
    acq.set_faults([fault_rule("increment", "4xx", status=400, error_type="increment_unsupported")])
    gateway = EmulatorGateway(acq.url)
    request = IncrementInput(authorization_id=ref, extra=EUR_50, idempotency_key="i")
    try:
        with pytest.raises(e.IncrementUnsupported):
            await gateway.increment(request)
    finally:
        await gateway.aclose()
    hold = acq.hold(ref)
    assert (hold["amount_minor"], hold["increments"]) == (2500, [])


async def test_402_on_authorize_is_a_decline(acq: AcquirerEmulator) -> None:
    acq.set_faults([fault_rule("authorize", "4xx", status=402)])
    raw = _authorize(acq)
    assert raw.status_code == 402
    assert raw.json()["error"]["type"] == "card_declined"
    gateway = EmulatorGateway(acq.url)
    try:
        with pytest.raises(e.PaymentDeclined) as declined:
            await gateway.authorize(
                AuthorizeInput(payment_token="tok_visa", amount=EUR_50, idempotency_key="a")
            )
    finally:
        await gateway.aclose()
    assert declined.value.decline_code == "do_not_honor"
    assert acq.truth()["holds"] == []


@pytest.mark.parametrize(
    "rule",
    [
        {"operation": "capture", "kind": "4xx", "status": 503},
        {"operation": "capture", "kind": "5xx", "status": 404},
        {"operation": "capture", "kind": "slow", "status": 400},
        {"operation": "capture", "kind": "4xx", "skip": -1},
    ],
)
def test_malformed_rules_are_refused(acq: AcquirerEmulator, rule: dict[str, Any]) -> None:
    answer = httpx.put(f"{acq.url}/_emulator/faults", json={"rules": [rule]})
    assert answer.status_code == 400, answer.text


@pytest.mark.parametrize("operation", ["capture", "void"])
async def test_timeout_then_commit_lands_after_the_caller_got_504(
    acq: AcquirerEmulator, operation: Operation
) -> None:
    ref = acq.place_hold("term-t", 5000, "EUR")
    acq.set_faults([fault_rule(operation, "timeout_then_commit", count=1, delay_s=DELAY_S)])
    url = f"{acq.url}/v1/authorizations/{ref}/{operation}"
    body = {"amount_minor": 5000, "currency": "EUR"} if operation == "capture" else {}
    headers = _key()
    async with httpx.AsyncClient(timeout=10.0) as client:
        call = asyncio.create_task(client.post(url, json=body, headers=headers))
        await asyncio.sleep(DELAY_S / 3)
        during = acq.hold(ref)
        answer = await call
        after = acq.hold(ref)
        # The retry with the same key gets the committed result, and nothing moves twice.
        retry = await client.post(url, json=body, headers=headers)
    assert (during["status"], during["captures"], during["voids"]) == ("open", [], [])
    assert answer.status_code == 504
    assert answer.json()["error"]["type"] == "acquirer_timeout"
    assert after["status"] == ("captured" if operation == "capture" else "voided")
    assert retry.status_code == 200 and retry.headers["Idempotent-Replayed"] == "true"
    assert len(acq.hold(ref)["captures"]) + len(acq.hold(ref)["voids"]) == 1


def test_timeout_then_commit_authorize_after_the_client_hung_up(acq: AcquirerEmulator) -> None:
    acq.set_faults([fault_rule("authorize", "timeout_then_commit", count=1, delay_s=DELAY_S)])
    body = {"payment_token": "tok_visa", "amount_minor": 5000, "currency": "EUR"}
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{acq.url}/v1/authorizations", json=body, headers=_key(), timeout=0.3)
    assert acq.truth()["holds"] == []  # nothing visible right after the timeout
    deadline = time.monotonic() + 10.0
    while not acq.truth()["holds"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(acq.truth()["holds"]) == 1


def test_skip_and_count_fire_on_exactly_the_intended_calls(acq: AcquirerEmulator) -> None:
    acq.set_faults([fault_rule("authorize", "5xx", skip=1, count=2)])
    assert [_authorize(acq).status_code for _ in range(4)] == [201, 503, 503, 201]
    rule = acq.faults()["rules"][0]
    assert (rule["matched"], rule["fired"]) == (4, 2)


def test_skip_counts_calls_other_rules_took(acq: AcquirerEmulator) -> None:
    """`skip` counts the operation's calls, so rules compose into an exact per-call script."""
    acq.set_faults(
        [
            fault_rule("authorize", "5xx", count=1),
            fault_rule("authorize", "4xx", skip=2, count=1),
        ]
    )
    assert [_authorize(acq).status_code for _ in range(4)] == [503, 201, 400, 201]
    assert [r["fired"] for r in acq.faults()["rules"]] == [1, 1]


def test_the_hold_list_has_its_own_fault_hook(acq: AcquirerEmulator) -> None:
    """Reconciliation's read of every hold can fail on its own, so a test can prove that a
    failed read voids nothing."""
    acq.place_hold("term-l", 5000, "EUR")
    acq.set_faults([fault_rule("list", "5xx", count=1)])
    failed = httpx.get(f"{acq.url}/v1/authorizations")
    assert failed.status_code == 503
    assert failed.json()["error"]["type"] == "acquirer_unavailable"
    listed = httpx.get(f"{acq.url}/v1/authorizations")
    assert listed.status_code == 200
    assert len(listed.json()["data"]) == 1
