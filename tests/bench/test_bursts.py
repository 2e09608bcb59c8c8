"""Bursts of stops: crossing batches from emulator truth, the replay schedule, the summary."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bench.bursts import batches, crossing_times, schedule, summary

SCALE = 60.0


def charge(session: str, first_t: float, kwh_per_delivery: float = 0.2) -> dict[str, Any]:
    """A 12 kW charge whose meter and webhook deliveries come every 1 wall s from first_t."""
    meter = [{"t": first_t + i, "kwh": round(kwh_per_delivery * i, 4)} for i in range(10)]
    deliveries = [
        {"t": m["t"] + 0.25, "consumedKwh": m["kwh"], "state": "charging", "status": 200}
        for m in meter
    ]
    return {"partnerExternalId": session, "meter": meter, "webhook_deliveries": deliveries}


def test_crossing_times_only_for_sessions_stopped_for_their_budget() -> None:
    charges = [charge("a", 100.0), charge("b", 100.0), charge("c", 103.0), charge("d", 100.0)]
    budgets = {"a": Decimal("1.0"), "b": Decimal("1.0"), "c": Decimal("1.0")}  # d: no budget
    times = crossing_times(charges, budgets, latency_s=0.0, time_scale=SCALE)
    # 1.0 kWh is reached by the sixth reading (t = first + 5), delivered 0.25 s later
    assert sorted(times) == [105.25, 105.25, 108.25]


def test_a_budget_never_reached_has_no_crossing() -> None:
    assert crossing_times([charge("a", 0.0)], {"a": Decimal("50")}, 0.0, SCALE) == []


def test_batches_group_crossings_of_one_post_and_schedule_replays_their_offsets() -> None:
    found = batches([105.25, 108.25, 105.25, 105.250000001])
    assert found == [(105.25, 3), (108.25, 1)]
    assert schedule(found) == [(0.0, 3), (3.0, 1)]
    assert schedule([]) == []


def test_summary_counts_stops_in_bursts() -> None:
    found = [(1.0, 12), (2.0, 3), (3.0, 1)]
    assert summary(found) == {
        "batches": 3,
        "stops": 16,
        "size_p50": 3.0,
        "size_max": 12.0,
        "in_bursts": 0.75,
    }
    assert summary([])["stops"] == 0
