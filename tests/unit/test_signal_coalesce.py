"""The webhook coalescing rule: which snapshots reach the session, which are only acked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from api.webhooks.coalesce import (
    CoalescePolicy,
    Signalled,
    SignalLedger,
    SignalReason,
    should_signal,
)
from workflows.contracts import ChargeSnapshot

T0 = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
# The view may trail Monta by less than 30 s of its own updatedAt (wall seconds here).
POLICY = CoalescePolicy(near_cap_ratio=Decimal("0.75"), max_lag=timedelta(seconds=30))


def snap(kwh: str = "10", state: str = "charging", sec: int = 10, **kw: Any) -> ChargeSnapshot:
    fields: dict[str, Any] = {
        "charge_id": 7,
        "state": state,
        "consumed_kwh": Decimal(kwh),
        "kwh_limit": Decimal("40"),
        "updated_at": T0 + timedelta(seconds=sec),
        "partner_external_id": "session-alpha-T1-tx",
    }
    fields.update(kw)
    return ChargeSnapshot.model_validate(fields)


LAST = Signalled.of(snap("10", sec=10))


def decide(s: ChargeSnapshot, last: Signalled | None = LAST) -> SignalReason | None:
    return should_signal(s, last, POLICY)


def test_first_sight_of_a_charge_is_signalled() -> None:
    assert decide(snap(), last=None) == "first"


def test_plain_progress_is_dropped_only_while_the_view_stays_fresh() -> None:
    """[4 of 7] fresh views: a reading is held back only if the session's view then trails
    Monta's by less than the configured lag, measured on Monta's own updatedAt."""
    assert decide(snap("12", sec=39)) is None  # 29 s behind: still fresh
    assert decide(snap("12", sec=40)) == "interval"  # 30 s: the view would be stale


@pytest.mark.parametrize(
    ("s", "why"),
    [
        (snap("10", state="paused", sec=11), "state"),
        (snap("10", state="completed", sec=11), "state"),
        (snap("10", sec=10, failed_at=T0), "ended"),  # same updatedAt, newly failed
        (snap("10", sec=11, stopped_at=T0), "ended"),
        (snap("30", sec=20), "near_cap"),  # 30 >= 0.75 * 40
        (snap("12", sec=20, kwh_limit=None), "no_cap"),
    ],
)
def test_meaningful_changes_are_signalled_at_once(s: ChargeSnapshot, why: str) -> None:
    assert decide(s) == why


def test_every_update_near_the_cap_is_signalled() -> None:
    near = Signalled.of(snap("30", sec=20))
    assert decide(snap("30.5", sec=21), last=near) == "near_cap"
    assert decide(snap("30", sec=20), last=near) is None  # the same snapshot again


def test_winding_down_steps_wait_for_completed() -> None:
    """The session knows the charge is ending from its first winding-down state on; the
    steps to `completed` (with their final readings) are held back, the end itself is not."""
    assert decide(snap("10", state="stopping", sec=11)) == "state"  # charging -> stopping
    ending = Signalled.of(snap("10", state="stopping", sec=11))
    stopped = snap("10.2", state="stopped", sec=12, stopped_at=T0)
    assert decide(stopped, last=ending) is None
    assert decide(snap("10.2", state="released", sec=13, stopped_at=T0), last=ending) is None
    assert decide(snap("39", state="stopping", sec=12), last=ending) is None  # near cap
    done = snap("10.2", state="completed", sec=14, stopped_at=T0, completed_at=T0)
    assert decide(done, last=ending) == "state"
    assert decide(snap("10", state="failed", sec=14, failed_at=T0), last=ending) == "state"
    # A step Monta reports a lag's worth later still reaches the session.
    late = snap("10.2", state="stopped", sec=41, stopped_at=T0)
    assert decide(late, last=ending) == "interval"


def test_first_energy_is_signalled() -> None:
    idle = Signalled.of(snap("0", sec=10))
    assert decide(snap("0.01", sec=11), last=idle) == "first_energy"


def test_stale_or_replayed_snapshots_are_dropped_whatever_they_say() -> None:
    assert decide(snap("10", sec=10)) is None  # replay
    assert decide(snap("5", state="starting", sec=5)) is None  # older, other state
    assert decide(snap("39", sec=9, failed_at=T0)) is None  # older, even near cap/failed


def test_ledger_is_bounded_lru() -> None:
    ledger = SignalLedger(max_charges=2)
    for cid in (1, 2):
        ledger.record(snap(charge_id=cid))
    assert ledger.get(1) is not None  # 1 is now the most recent
    ledger.record(snap(charge_id=3))
    assert len(ledger) == 2 and ledger.get(2) is None
    assert ledger.get(1) is not None and ledger.get(3) is not None
