"""The two adapters under one test harness: each with its backend, its ground truth and
the cases it cannot honestly run (skipped with the reason, never faked)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from activities.payments.emulator_adapter import EmulatorGateway
from activities.payments.protocol import PaymentGateway
from activities.payments.stripe_adapter import StripeGateway
from tests.support.acquirer import AcquirerEmulator
from tests.support.localstripe import API_KEY, APPROVED_PM, DECLINING_PM, LocalStripe

# The adapter's timeout for the call a fault stalls, and how long the fault stalls it.
SHORT_TIMEOUT_S = 1.0
STALL_S = 5.0

STRIPE_UNSUPPORTED = {
    "expired_hold": "localstripe has no hold expiry and no way to force one",
    "increment": "localstripe has no increment_authorization endpoint (answers 404)",
}


@dataclass(frozen=True)
class HoldTruth:
    """What the backend itself says happened to one hold."""

    status: str  # open | captured | voided | expired
    authorized_minor: int
    captured_minor: int
    captures: int
    voids: int


@dataclass
class Backend:
    name: str
    gateway: PaymentGateway
    unsupported: dict[str, str]
    approve_token: str
    decline_token: str
    decline_code: str
    place_hold: Callable[[int, str], str]
    truth: Callable[[str], HoldTruth]
    open_holds: Callable[[], int]
    expire: Callable[[str], object]
    stall_next_capture: Callable[[], None]  # the next capture commits, then times out
    clear_faults: Callable[[], None]
    short_timeout_gateway: Callable[[], PaymentGateway]


def emulator_backend(acq: AcquirerEmulator) -> Backend:
    def truth(hold_id: str) -> HoldTruth:
        hold = acq.hold(hold_id)
        return HoldTruth(
            status=hold["status"],
            authorized_minor=hold["amount_minor"],
            captured_minor=sum(c["amount_minor"] for c in hold["captures"]),
            captures=len(hold["captures"]),
            voids=len(hold["voids"]),
        )

    def stall() -> None:
        rule = {"operation": "capture", "kind": "timeout_after_commit", "count": 1}
        acq.set_faults([{**rule, "delay_s": STALL_S}])

    return Backend(
        name="emulator",
        gateway=EmulatorGateway(acq.url),
        unsupported={},
        approve_token="tok_visa",
        decline_token="tok_chargeDeclinedInsufficientFunds",
        decline_code="insufficient_funds",
        place_hold=lambda amount, currency: acq.place_hold("term-suite", amount, currency),
        truth=truth,
        open_holds=lambda: sum(h["status"] == "open" for h in acq.truth()["holds"]),
        expire=acq.expire,
        stall_next_capture=stall,
        clear_faults=acq.clear_faults,
        short_timeout_gateway=lambda: EmulatorGateway(acq.url, timeout_s=SHORT_TIMEOUT_S),
    )


def _stripe_truth(pi: dict[str, Any]) -> HoldTruth:
    charge = pi.get("latest_charge") or {}
    captured = bool(charge.get("captured"))
    status = {"requires_capture": "open", "succeeded": "captured", "canceled": "voided"}
    return HoldTruth(
        status=status.get(pi["status"], pi["status"]),
        authorized_minor=int(pi["amount"]),
        # localstripe shows the released remainder of a partial capture as a refund
        captured_minor=int(charge["amount"]) - int(charge["amount_refunded"]) if captured else 0,
        captures=1 if captured else 0,  # a localstripe charge can be captured once at most
        voids=1 if pi["status"] == "canceled" else 0,
    )


def stripe_backend(ls: LocalStripe, proxy_url: str) -> Backend:
    def set_proxy(rules: list[dict[str, Any]]) -> None:
        httpx.put(f"{proxy_url}/_proxy/faults", json={"rules": rules}).raise_for_status()

    def stall() -> None:
        rule = {"method": "POST", "path_suffix": "/capture", "kind": "timeout_after_commit"}
        set_proxy([{**rule, "count": 1, "delay_s": STALL_S}])

    return Backend(
        name="stripe",
        gateway=StripeGateway(API_KEY, proxy_url),
        unsupported=dict(STRIPE_UNSUPPORTED),
        approve_token=APPROVED_PM,
        decline_token=DECLINING_PM,
        decline_code="card_declined",  # localstripe sends no decline_code, only code
        place_hold=ls.place_card_present_hold,
        truth=lambda pi_id: _stripe_truth(ls.intent(pi_id)),
        open_holds=lambda: sum(pi["status"] == "requires_capture" for pi in ls.intents()),
        expire=lambda _: None,
        stall_next_capture=stall,
        clear_faults=lambda: set_proxy([]),
        short_timeout_gateway=lambda: StripeGateway(API_KEY, proxy_url, SHORT_TIMEOUT_S),
    )
