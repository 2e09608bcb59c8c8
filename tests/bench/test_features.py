"""`python -m bench --quick --features`: the settings it gives chargepay and the sizes it
plans with (pure; the run itself is `tests/bench/test_tiny_run.py`'s with `--features`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import features
from bench.chaos.checks import Session
from bench.plan import quick, with_features
from bench.world import hold_for_kwh, kwh_for_minutes, point_id, point_kinds
from core.idle_rules import IdleFeeRule
from core.operators import load_operators
from workflows.budget import compute_budget
from workflows.contracts import SessionConfig

CONFIG = SessionConfig(time_scale=30.0, idle_reserve_minutes=0)  # as .env.example
POINTS = 100


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ALPHA", "BRAVO"):
        monkeypatch.setenv(f"CHARGEPAY_{name}_CLIENT_SECRET", "s")
        monkeypatch.setenv(f"CHARGEPAY_{name}_WEBHOOK_SECRETS", "s")


def chosen() -> features.Features:
    return features.Features.of(point_kinds(), 60.0, POINTS, CONFIG)


def test_the_ceiling_buys_the_ac_charge_of_the_run_without_features_and_the_idle_reserve() -> None:
    f, ac = chosen(), point_kinds()["ac"]
    fee = IdleFeeRule(per_minute_minor=20, grace_minutes=10, cap_minor=500)
    reserve = features.IDLE_RESERVE_MINUTES
    config = CONFIG.model_copy(update={"idle_fee": fee, "idle_reserve_minutes": reserve})
    assert compute_budget(f.ceiling, ac.tariff, config).kwh_budget >= kwh_for_minutes(ac, 60.0)
    without_fee = hold_for_kwh(kwh_for_minutes(ac, 60.0), ac.tariff, CONFIG)
    assert f.ceiling.amount_minor > without_fee.amount_minor  # room for the idle fee
    first = compute_budget(f.first_hold, ac.tariff, config).kwh_budget
    assert kwh_for_minutes(ac, 15.0) <= first < kwh_for_minutes(ac, 20.0)


def test_the_operators_file_turns_both_on_for_alpha_and_increments_off_at_dc(
    tmp_path: Path, secrets: None
) -> None:
    f = chosen()
    env = f.stack_env(tmp_path)
    alpha = load_operators(Path(env["CHARGEPAY_OPERATORS_FILE"]))["alpha"]
    assert alpha.increments_at(point_id("ac", 7)) == (f.ceiling.amount_minor, 0)
    assert alpha.increments_at(point_id("dc", 7)) == (0, 0)
    rule = alpha.idle_fee_rule(point_id("ac", 7))
    assert rule is not None and (rule.per_minute_minor, rule.grace_minutes) == (20, 10)
    assert env["CHARGEPAY_IDLE_RESERVE_MINUTES"] == "30"  # as sized, not .env.example's 0
    assert float(env["CHARGEPAY_INCREMENT_LEAD_S"]) >= 60 + 30 * float(
        env["CHARGEPAY_INCREMENT_TIMEOUT_S"]
    )


def test_ac_cars_stay_under_the_grace_past_it_and_past_the_cap() -> None:
    assert [features.stay_s("ac", n) / 60 for n in range(4)] == [5.0, 20.0, 40.0, 5.0]
    assert max(features.STAYS_MINUTES["dc"]) <= 30  # before Monta's own DC idle fee


def test_the_plan_with_features_waits_longer_for_the_phase() -> None:
    plan = with_features(quick())
    assert plan.mode == "quick-features" and plan.features
    assert plan.phase_timeout_s > quick().phase_timeout_s


def test_the_money_check_is_the_chaos_verdict_on_the_phases_sessions_only() -> None:
    f = chosen()
    sessions = [Session("session-alpha-bench1-p1x0", "h1", True, True, True, "completed")]
    hold = {
        "id": "h1",
        "amount_minor": 900,
        "status": "captured",
        "increments": [{"amount_minor": 300}, {"amount_minor": 200}],
        "captures": [{"amount_minor": 700, "idempotency_key": "x/capture"}],
        "voids": [],
    }
    other = {**hold, "id": "h2", "status": "authorized", "captures": []}  # not the phase's
    charge = {
        "id": 1,
        "partnerExternalId": "session-alpha-bench1-p1x0",
        "state": "completed",
        "price": "7.00",
        "currency": "EUR",
        "consumedKwh": 9.0,
        "operator": "alpha",
        "chargePointId": point_id("ac", 0),
        "states": [],
    }
    ok = features.money_check(sessions, [charge], [hold, other], f.setup(30.0), "major")
    assert ok["passed"] and ok["increments_applied"] == 2 and ok["holds_grown"] == 1
    short = {**hold, "captures": [{"amount_minor": 650, "idempotency_key": "x/capture"}]}
    bad = features.money_check(sessions, [charge], [short], f.setup(30.0), "major")
    assert not bad["passed"] and bad["figures"]["wrong_amounts"] == 1


def test_idle_fees_are_reported_as_due_and_as_captured_within_the_hold() -> None:
    """A car idle 30 real minutes at 30x (60 s on the wall): 20 minutes past the grace at
    20 a minute, 400 net, 500 gross; the hold leaves 300 of it after Monta's 7.00."""
    t0, sid = 1_800_000_000.0, "session-alpha-bench1-p1x0"
    charge = {
        "id": 1,
        "partnerExternalId": sid,
        "operator": "alpha",
        "chargePointId": point_id("ac", 0),
        "price": "7.00",
        "currency": "EUR",
        "states": [{"t": t0, "state": "charging"}, {"t": t0 + 60, "state": "stopped"}],
        "released_at": t0 + 120,
    }
    hold = {"id": "h1", "amount_minor": 1000, "captures": [{"amount_minor": 1000}]}
    setup = chosen().setup(30.0)
    got = features.idle_collected([charge], {sid: "h1"}, {"h1": hold}, setup, "major")
    assert got == {"due_minor": 500, "captured_minor": 300, "charges_capped_by_hold": 1}
