"""Ground-truth figures per session, from hand-made emulator truth documents."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bench.truth import SessionFacts, crossing_delivery, outcome, power_kw

SCALE = 60.0
LATENCY_S = 15.0


def meter(kw: float, n: int, dt_wall: float = 0.5) -> list[dict[str, Any]]:
    """n meter samples of a constant-power charge, one every dt_wall seconds."""
    per = kw * dt_wall * SCALE / 3600
    return [{"t": 100.0 + i * dt_wall, "kwh": round(per * i, 6)} for i in range(n)]


def charge(samples: list[dict[str, Any]], stop_at: float, final_kwh: float) -> dict[str, Any]:
    deliveries = [
        {"t": s["t"] + 0.04, "consumedKwh": round(s["kwh"], 4), "state": "charging", "status": 200}
        for s in samples
    ]
    return {
        "partnerExternalId": "session-alpha-T-1",
        "meter": samples,
        "webhook_deliveries": deliveries,
        "stop_requests": [stop_at],
        "consumedKwh": final_kwh,
        "kwhLimit": 1.2,
        "price": 7.5,
        "currency": "EUR",
    }


def facts(reason: str = "kwh_budget", budget: str = "1.0") -> SessionFacts:
    return SessionFacts("session-alpha-T-1", "ac", "hold1", "completed", reason, Decimal(budget))


def test_power_from_meter_samples() -> None:
    samples = meter(11.0, 5)
    assert power_kw(samples, samples[3]["kwh"], SCALE) == pytest.approx(11.0, rel=1e-4)
    assert power_kw(samples, samples[0]["kwh"], SCALE) is None  # no earlier sample
    assert power_kw(samples, 99.0, SCALE) is None


def test_crossing_uses_the_stop_rule_threshold() -> None:
    samples = meter(11.0, 20)  # 0.0917 kWh per sample
    c = charge(samples, stop_at=0, final_kwh=1.0)
    cross = crossing_delivery(c, Decimal("1.0"), LATENCY_S, SCALE)
    assert cross is not None
    # threshold = 1.0 - 11 kW * 15 s = 0.954 kWh: the first reading at or above it
    kwh = float(cross["consumedKwh"])
    assert kwh >= 1.0 - 11 * LATENCY_S / 3600
    assert kwh - 0.0917 < 1.0 - 11 * LATENCY_S / 3600


def test_outcome_stop_latency_overshoot_and_money() -> None:
    samples = meter(11.0, 20)
    cross = crossing_delivery(charge(samples, 0, 0), Decimal("1.0"), LATENCY_S, SCALE)
    assert cross is not None
    c = charge(samples, stop_at=float(cross["t"]) + 0.120, final_kwh=1.05)
    hold = {"amount_minor": 789, "captures": [{"amount_minor": 750}]}
    o = outcome(c, facts(), hold, latency_s=LATENCY_S, time_scale=SCALE)
    assert o.stop_class == "measured"
    assert o.stop_latency_ms == pytest.approx(120.0)
    assert o.overshoot_kwh == pytest.approx(0.05)
    assert not o.beyond_hard_cap
    assert o.ran_to_budget and o.budget_used_ratio == pytest.approx(750 / 789)
    assert o.uncollected_minor == 0  # price 7.50 <= hold 7.89


def test_outcome_flags_cap_uncollected_and_other_stops() -> None:
    samples = meter(11.0, 20)
    c = charge(samples, stop_at=200.0, final_kwh=1.3)
    c["price"] = 8.10
    hold = {"amount_minor": 789, "captures": [{"amount_minor": 789}]}
    o = outcome(c, facts(), hold, latency_s=LATENCY_S, time_scale=SCALE)
    assert o.beyond_hard_cap
    assert o.uncollected_minor == 21
    c_no_stop = {**c, "stop_requests": []}
    assert outcome(c_no_stop, facts(), hold, latency_s=15, time_scale=SCALE).stop_class == (
        "no_stop"
    )
    requested = outcome(c, facts("requested"), hold, latency_s=15, time_scale=SCALE)
    assert requested.stop_class == "not_budget" and not requested.ran_to_budget
    early = charge(samples, stop_at=100.0, final_kwh=0.5)
    assert outcome(early, facts(), hold, latency_s=15, time_scale=SCALE).stop_class == "early"
