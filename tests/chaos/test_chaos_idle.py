"""`CHAOS_IDLE=on`: idle fees for both operators, cars that stay plugged in, and a check
that recomputes chargepay's idle fee from the emulator's truth."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bench.chaos import idle, increments
from bench.chaos.checks import MUST_BE_ZERO, Session, expected_capture, verdict
from bench.chaos.plan import build_plan
from core.operators import load_operators

SID = "session-alpha-T1-tx1"
SCALE = 300.0
T0 = 1_800_000_000.0  # a wall instant (epoch seconds)
POINT = 100_001  # one of the run's own alpha points (release detection on)
MONTA_POINT = 103  # seeded DC point whose price group bills idle time itself


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ALPHA", "BRAVO"):
        monkeypatch.setenv(f"CHARGEPAY_{name}_CLIENT_SECRET", "s")
        monkeypatch.setenv(f"CHARGEPAY_{name}_WEBHOOK_SECRETS", "s")


def wall(real_minutes: float) -> float:
    return real_minutes * 60 / SCALE


def setup() -> idle.IdleSetup:
    return idle.IdleSetup(idle.rules(60), SCALE, frozenset({103, 105, 202}))


def charge(
    idle_min: float | None = 20.0, *, point: int = POINT, full_min: float | None = None, **kw: Any
) -> dict[str, Any]:
    """A charge that stopped at T0 and whose car left `idle_min` real minutes later."""
    states = [{"t": T0 - 100, "state": "charging"}, {"t": T0, "state": "stopped"}]
    base: dict[str, Any] = {
        "id": 10001,
        "operator": "alpha",
        "chargePointId": point,
        "partnerExternalId": SID,
        "state": "completed",
        "consumedKwh": Decimal("10"),
        "price": Decimal("10.00"),
        "currency": "EUR",
        "states": states,
        "fully_charged_at": None if full_min is None else T0 + wall(full_min),
        "released_at": None if idle_min is None else T0 + wall(idle_min),
        "completed_at": T0 + wall(180),
    }
    return base | kw


def hold(captured: int, amount: int = 3000) -> dict[str, Any]:
    cap = [{"amount_minor": captured, "idempotency_key": f"{SID}/capture"}]
    return {"id": "auth_1", "amount_minor": amount, "status": "captured", "captures": cap}


def judge(ch: dict[str, Any], h: dict[str, Any], attention: str | None = None) -> set[str]:
    s = Session(SID, "auth_1", True, True, True, "completed", attention)
    v = verdict([s], [ch], [h], "major", setup())
    return {name for name in MUST_BE_ZERO if v.figures[name]}


# -- the switch ----------------------------------------------------------------------------


def test_off_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAOS_IDLE", raising=False)
    plans = build_plan(1, 10, 100.0)
    assert idle.stack_env(tmp_path, 10, {}) == {}
    assert idle.with_stays(plans, 1) == plans
    assert idle.setup(10, SCALE) is None


def test_on_gives_both_operators_a_rule_for_every_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secrets: None
) -> None:
    monkeypatch.setenv("CHAOS_IDLE", "on")
    env = idle.stack_env(tmp_path, 60, {})
    operators = load_operators(Path(env["CHARGEPAY_OPERATORS_FILE"]))
    for op, base in (("alpha", 100_000), ("bravo", 200_000)):
        rule = operators[op].idle_fee_rule(base + 1)
        assert rule is not None and rule.release_detection
        assert (rule.per_minute_minor, rule.grace_minutes, rule.cap_minor) == (20, 10, 500)
        third = operators[op].idle_fee_rule(base + 3)  # the charger "does not detect the unplug"
        assert third is not None and not third.release_detection
        assert third.per_minute_minor == 20
        assert not operators[op].increment_ceiling_minor  # increments stay off


def test_with_increments_one_file_holds_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secrets: None
) -> None:
    monkeypatch.setenv("CHAOS_IDLE", "on")
    monkeypatch.setenv("CHAOS_INCREMENTS", "on")
    env = increments.stack_env(tmp_path, SCALE)
    env |= idle.stack_env(tmp_path, 60, env)
    files = list(tmp_path.glob("*.toml"))
    assert files == [Path(env["CHARGEPAY_OPERATORS_FILE"])]
    operators = load_operators(files[0])
    for op in ("alpha", "bravo"):
        assert operators[op].increment_ceiling_minor == increments.CEILING_MINOR
        assert operators[op].idle_fee_rule(999) is not None


def test_cars_stay_plugged_in_a_seeded_while(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAOS_IDLE", "on")
    plans = build_plan(1, 40, 100.0)
    stayed = idle.with_stays(plans, 1)
    assert [p.car["stay_plugged_s"] for p in stayed] == [
        p.car["stay_plugged_s"] for p in idle.with_stays(plans, 1)
    ]
    assert {p.car["stay_plugged_s"] for p in stayed} == set(idle.STAYS_S)
    assert all({**p.car, "stay_plugged_s": 0} == {**s.car, "stay_plugged_s": 0}
               for p, s in zip(plans, stayed, strict=True))  # fmt: skip
    # The longest stay ends within the run's wait for every session to be final.
    assert max(idle.STAYS_S) / SCALE < 60


def test_the_points_whose_price_group_bills_idle_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAOS_IDLE", "on")
    s = idle.setup(5, SCALE)
    assert s is not None and s.monta_idle_points == {103, 105, 202}


# -- the fee, from the emulator's truth ------------------------------------------------------


def test_no_fee_within_the_grace_period() -> None:
    fee = idle.expected_fee(charge(idle_min=9.5), setup())
    assert (fee.fee_minor, fee.minutes, fee.by) == (0, Decimal("9.50"), "chargepay")


def test_fee_per_minute_after_the_grace_period_plus_vat() -> None:
    # 20 min idle - 10 grace = 10 x 20 = 200 net, + 25 % alpha VAT.
    assert idle.expected_fee(charge(idle_min=20), setup()).fee_minor == 250
    bravo = charge(idle_min=20, operator="bravo", chargePointId=200_001)
    assert idle.expected_fee(bravo, setup()).fee_minor == 238  # 200 x 1.19


def test_fee_stops_at_the_cap() -> None:
    fee = idle.expected_fee(charge(idle_min=120), setup())
    assert fee.fee_minor == 625 and fee.minutes == Decimal("120.00")


def test_idle_time_starts_when_the_car_is_full_if_that_came_first() -> None:
    # Full 5 minutes before the stop: 25 minutes idle, 15 billable.
    ch = charge(idle_min=20, full_min=-5)
    assert idle.expected_fee(ch, setup()).fee_minor == 375


def test_without_releasedAt_idle_time_ends_at_completed() -> None:
    ch = charge(idle_min=None, completed_at=T0 + wall(15))
    assert idle.expected_fee(ch, setup()).fee_minor == 125


def test_a_car_that_never_plugged_in_pays_nothing() -> None:
    ch = charge(states=[{"t": T0, "state": "stopped"}], consumedKwh=0)
    assert idle.expected_fee(ch, setup()).fee_minor == 0


def test_montas_price_group_fee_means_no_fee_from_chargepay() -> None:
    fee = idle.expected_fee(charge(idle_min=120, chargePointId=MONTA_POINT), setup())
    assert (fee.fee_minor, fee.by) == (0, "monta")


def test_expected_capture_is_bounded_by_the_hold() -> None:
    assert expected_capture(1000, 250, 3000) == 1250
    assert expected_capture(2900, 250, 3000) == 3000  # the fee capped at what is left
    assert expected_capture(3200, 250, 3000) == 3000  # nothing left for the fee
    assert expected_capture(1000, 0, 3000) == 1000


# -- the verdict ---------------------------------------------------------------------------


def test_price_plus_idle_fee_passes() -> None:
    assert judge(charge(idle_min=20), hold(1000 + 250)) == set()


def test_a_missing_or_wrong_idle_fee_is_a_wrong_amount() -> None:
    assert judge(charge(idle_min=20), hold(1000)) == {"wrong_amounts"}
    s = Session(SID, "auth_1", True, True, True, "completed")
    v = verdict([s], [charge(idle_min=20)], [hold(1000)], "major", setup())
    assert v.problems[0]["idle_fee_minor"] == 250 and v.problems[0]["expected_minor"] == 1250
    assert v.problems[0]["idle_windows"] == [
        ["2027-01-15T08:00:00+00:00", "2027-01-15T08:00:04+00:00"]
    ]
    assert judge(charge(idle_min=20), hold(1000 + 251)) == {"wrong_amounts"}


def test_an_idle_fee_billed_twice_fails() -> None:
    # chargepay's fee added twice.
    assert judge(charge(idle_min=20), hold(1000 + 2 * 250)) == {"wrong_amounts"}
    # chargepay's fee on top of Monta's own idle fee (inside Monta's price).
    s = Session(SID, "auth_1", True, True, True, "completed")
    v = verdict([s], [charge(idle_min=60, point=MONTA_POINT, chargePointId=MONTA_POINT)],
                [hold(1000 + 625)], "major", setup())  # fmt: skip
    assert v.figures["wrong_amounts"] == 1
    assert v.problems[0]["why"].startswith("idle fee billed twice")
    assert judge(charge(idle_min=60, chargePointId=MONTA_POINT), hold(1000)) == set()


def test_the_fee_is_capped_at_what_the_hold_has_left() -> None:
    assert judge(charge(idle_min=120, price=Decimal("14.00")), hold(1500, 1500)) == set()
    over = judge(charge(idle_min=120, price=Decimal("14.00")), hold(1400 + 625, 1500))
    assert over == {"captured_above_authorized", "wrong_amounts"}


def test_a_lower_capture_is_allowed_only_when_flagged() -> None:
    assert judge(charge(idle_min=20), hold(1100), attention="price_mismatch") == set()
    assert judge(charge(idle_min=20), hold(1300), attention="price_mismatch") == {"wrong_amounts"}
