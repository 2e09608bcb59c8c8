"""Snapshot merging: forward only, idempotent, order-independent; observed power."""

from __future__ import annotations

import itertools
from decimal import Decimal

from tests.unit.session_fixtures import at, snap
from workflows.contracts import ChargeSnapshot
from workflows.merge import ChargeView, merge


def _fold(snapshots: list[ChargeSnapshot], time_scale: float = 1.0) -> ChargeView | None:
    view: ChargeView | None = None
    for s in snapshots:
        view = merge(view, s, time_scale) or view
    return view


def test_newer_wins_and_counters_never_go_down() -> None:
    a = snap(0, "5.0", price_minor=300)
    b = snap(10, "4.0", state="paused", price_minor=250)  # newer but lower: a glitch
    view = _fold([a, b])
    assert view is not None
    assert view.snapshot.state == "paused"
    assert view.snapshot.consumed_kwh == Decimal("5.0")
    assert view.snapshot.price_minor == 300


def test_duplicates_and_stale_are_noops() -> None:
    view = merge(None, snap(10, "2"), 1.0)
    assert view is not None
    assert merge(view, snap(10, "2"), 1.0) is None
    assert merge(view, snap(5, "1", state="starting"), 1.0) is None


def test_any_order_with_duplicates_ends_at_the_newest() -> None:
    series = [
        snap(0, "0", state="starting"),
        snap(10, "1"),
        snap(20, "2"),
        snap(30, "3", state="stopped", stopped_at=at(30)),
    ]
    finals = set()
    for perm in itertools.permutations([*series, series[1]]):
        view = _fold(list(perm))
        assert view is not None
        finals.add((view.snapshot.state, view.snapshot.consumed_kwh, view.snapshot.stopped_at))
    assert finals == {("stopped", Decimal("3"), at(30))}


def test_timestamps_once_set_stay_set_and_completed_is_immutable() -> None:
    view = _fold([snap(0, "1", failed_at=at(0)), snap(5, "1", state="completed")])
    assert view is not None and view.snapshot.failed_at == at(0)
    assert merge(view, snap(9, "2", state="charging"), 1.0) is None


def test_foreign_charge_is_ignored() -> None:
    view = merge(None, snap(0, "1"), 1.0)
    assert merge(view, snap(5, "9", charge_id=99), 1.0) is None


def test_observed_power_scales_with_emulated_time() -> None:
    # 0.5 kWh in 3 wall seconds at time scale 100 = 300 real s -> 6 kW
    view = _fold([snap(0, "1.0"), snap(3, "1.5")], time_scale=100)
    assert view is not None and view.power_kw == Decimal("6.000")


def test_power_drops_to_zero_when_paused_and_pause_start_is_kept() -> None:
    view = _fold(
        [
            snap(0, "1"),
            snap(10, "1.1"),
            snap(20, "1.1", state="paused"),
            snap(30, "1.1", state="paused"),
        ]
    )
    assert view is not None
    assert view.power_kw == 0
    assert view.paused_since == at(20)
    resumed = merge(view, snap(40, "1.2"), 1.0)
    assert resumed is not None and resumed.paused_since is None


def test_a_later_step_at_the_same_instant_is_taken() -> None:
    # Monta can move released -> completed within one clock tick: both snapshots then carry
    # the same updatedAt, and dropping the second left a session waiting for `completed`.
    stopped = at(5)
    released = snap(10, "3", state="released", stopped_at=stopped)
    completed = snap(10, "3", state="completed", stopped_at=stopped, completed_at=at(10))
    view = _fold([released, completed])
    assert view is not None and view.snapshot.state == "completed"
    assert view.snapshot.completed_at == at(10)
    # ...and never the other way round, nor a mere repeat.
    assert merge(view, released, 1.0) is None
    assert _fold([completed, released]) == _fold([completed])
    assert merge(_fold([released]), released, 1.0) is None


def test_an_earlier_step_at_the_same_instant_is_stale() -> None:
    stopping = snap(10, "3", state="stopping")
    charging = snap(10, "3", state="charging")
    view = _fold([stopping, charging])
    assert view is not None and view.snapshot.state == "stopping"
