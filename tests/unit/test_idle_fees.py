"""Idle (overstay) fees: which rules apply, idle time, the fee, its caps and its bound, and
that a fee is billed once (workflows/idle_fees.py, workflows/session_idle.py)."""

from __future__ import annotations

from decimal import Decimal

from core.idle_rules import IdleFeeRule
from core.money import Money
from receipts.lines import itemize
from tests.unit.session_fixtures import at, snap, tariff
from workflows.budget import compute_budget, idle_reserve_minor
from workflows.contracts import Authorization, SessionConfig
from workflows.contracts.idle import IdleRules
from workflows.idle_fees import idle_fee, idle_rules, idle_started, watch_limit
from workflows.merge import merge
from workflows.session_data import SessionData
from workflows.session_idle import idle_snapshot, with_idle_fee
from workflows.settle import settle_completed, tariff_price_range

MIN = 60
OPERATOR = IdleFeeRule(per_minute_minor=20, grace_minutes=0, cap_minor=0, release_detection=True)
NO_VAT = Decimal(0)


def _rules(grace: int = 0, cap: int = 0, source: str = "chargepay") -> IdleRules:
    return IdleRules(
        source=source,
        per_minute_minor=20,
        grace_minutes=grace,
        cap_minor=cap,
        vat_rate=Decimal("0.25"),
        ends_at="released",
    )


def _stayed(minutes: float, *, released: bool = True, **kw: object) -> object:
    """1 kWh charged in 10 min, full at 10 min, then plugged in `minutes` more."""
    end = 10 * MIN + minutes * MIN
    ends = {"released_at": at(end)} if released else {}
    return snap(
        end + 60,
        "1",
        state="completed",
        price_minor=kw.pop("price_minor", 194),  # (100 start + 55) x 1.25 = 193.75
        currency="EUR",
        cable_plugged_in_at=at(0),
        started_at=at(0),
        fully_charged_at=at(10 * MIN),
        stopped_at=at(end),
        completed_at=at(end + 60),
        **ends,
        **kw,
    )


# -- rules: Monta's price group wins; the operator's only where Monta has none ----------


def test_monta_price_group_idle_fee_wins_over_the_operators() -> None:
    t = tariff(idle_per_minute_minor=10, idle_after_minutes=30, idle_cap_minor=1000)
    rules = idle_rules(t, OPERATOR)
    assert rules is not None and rules.source == "monta"
    assert (rules.per_minute_minor, rules.grace_minutes, rules.cap_minor) == (10, 30, 1000)
    assert rules.ends_at == "released"  # the operator's word on the charger still counts


def test_the_operators_rule_applies_where_monta_has_no_idle_fee() -> None:
    rules = idle_rules(tariff(), OPERATOR)
    assert rules is not None and rules.source == "chargepay" and rules.per_minute_minor == 20
    assert idle_rules(tariff(), None) is None
    no_fee = IdleFeeRule(release_detection=True)
    assert idle_rules(tariff(), no_fee) is None
    no_detection = OPERATOR.model_copy(update={"release_detection": False})
    assert idle_rules(tariff(), no_detection).ends_at == "completed"  # type: ignore[union-attr]


# -- idle time ---------------------------------------------------------------------------


def test_idle_starts_when_energy_stops_with_the_car_plugged_in() -> None:
    assert idle_started(snap(0, "1")) is None  # still charging
    full = snap(900, "1", state="paused", started_at=at(0), fully_charged_at=at(600))
    assert idle_started(full) == at(600)
    stopped = snap(900, "1", state="stopped", started_at=at(0), stopped_at=at(700))
    assert idle_started(stopped) == at(700)
    never = snap(900, "0", state="stopped", stopped_at=at(700))  # no car ever plugged in
    assert idle_started(never) is None


def test_thirty_minutes_plugged_in_after_full_without_grace() -> None:
    fee = idle_fee(_rules(), _stayed(30), 1.0)  # type: ignore[arg-type]
    assert fee.minutes == Decimal("30.00") and fee.billable_minutes == Decimal("30.00")
    assert fee.fee_minor == 750 and fee.ended == "released" and fee.capped is None  # 600 x 1.25


def test_thirty_minutes_with_a_ten_minute_grace_period() -> None:
    fee = idle_fee(_rules(grace=10), _stayed(30), 1.0)  # type: ignore[arg-type]
    assert fee.minutes == Decimal("30.00") and fee.billable_minutes == Decimal("20.00")
    assert fee.fee_minor == 500
    inside = idle_fee(_rules(grace=45), _stayed(30), 1.0)  # type: ignore[arg-type]
    assert inside.fee_minor == 0 and inside.billable_minutes == 0


def test_the_fee_stops_at_its_cap() -> None:
    fee = idle_fee(_rules(cap=400), _stayed(30), 1.0)  # type: ignore[arg-type]
    assert fee.fee_minor == 500 and fee.capped == "cap"  # 400 net x 1.25


def test_a_chargepay_fee_is_capped_at_what_the_hold_has_left() -> None:
    fee = idle_fee(_rules(), _stayed(30), 1.0, room_minor=300)  # type: ignore[arg-type]
    assert fee.fee_minor == 300 and fee.capped == "hold"
    monta = idle_fee(_rules(source="monta"), _stayed(30), 1.0, room_minor=300)  # type: ignore[arg-type]
    assert monta.fee_minor == 750  # in Monta's price: the hold bound is settle.py's


def test_without_release_detection_idle_ends_at_completed() -> None:
    fee = idle_fee(_rules(), _stayed(30, released=False), 1.0)  # type: ignore[arg-type]
    assert fee.ended == "completed" and fee.minutes == Decimal("31.00")


def test_a_running_estimate_counts_to_until_and_time_scale_applies() -> None:
    idle = snap(0, "1", state="releasing", started_at=at(0), stopped_at=at(0))
    fee = idle_fee(_rules(), idle, 60.0, until=at(30))  # 30 wall s x 60 = 30 real minutes
    assert fee.minutes == Decimal("30.00") and fee.ended is None


def test_the_idle_watch_ends_at_the_cap_or_the_max() -> None:
    idle = snap(0, "1", state="releasing", started_at=at(0), stopped_at=at(0))
    # 400 net cap at 20/min after 10 min grace: nothing more to bill after 30 minutes.
    assert watch_limit(_rules(grace=10, cap=400), idle, 1.0, 4 * 3600, 0) == at(30 * MIN)
    assert watch_limit(_rules(), idle, 1.0, 3600, 0) == at(3600)
    assert watch_limit(_rules(), idle, 60.0, 3600, 0) == at(60)  # wall time at scale 60
    stopped = idle.model_copy(update={"state": "stopped"})
    assert watch_limit(_rules(), stopped, 1.0, 3600, 0) == at(3600)


def test_the_idle_watch_gives_monta_time_to_report_an_unplug_after_the_stop() -> None:
    """Full at 0, cap reached at 15 min, the car left at 30 min (Monta stopped the charge):
    the watch still waits `release_wait_s` after the stop for the unplug and `completed`."""
    late = snap(30 * MIN, "1", state="stopped", started_at=at(0))
    late = late.model_copy(update={"fully_charged_at": at(0), "stopped_at": at(30 * MIN)})
    assert watch_limit(_rules(cap=300), late, 1.0, 4 * 3600, 900) == at(45 * MIN)


def test_the_idle_watch_applies_only_while_monta_waits_for_the_car() -> None:
    idle = snap(0, "1", state="releasing", started_at=at(0), stopped_at=at(0))
    assert watch_limit(_rules(source="monta"), idle, 1.0, 3600, 0) is None
    no_detection = _rules().model_copy(update={"ends_at": "completed"})
    assert watch_limit(no_detection, idle, 1.0, 3600, 0) is None
    paused = snap(0, "1", state="paused", started_at=at(0), fully_charged_at=at(0))
    assert watch_limit(_rules(), paused, 1.0, 3600, 0) is None  # still a running charge


# -- billed once ---------------------------------------------------------------------------


def _settled(t: object, rule: IdleFeeRule | None, authorized: int = 5000) -> tuple[object, object]:
    snapshot = _stayed(30, price_minor=kw_price(t))
    data = SessionData(
        tariff=t,
        authorization=Authorization(
            authorization_id="a",
            amount=Money(amount_minor=authorized, currency="EUR"),
            expires_at=at(7 * 24 * 3600),
        ),
        view=merge(None, snapshot, 1.0),  # type: ignore[arg-type]
    )
    cfg = SessionConfig(idle_fee=rule)
    base = settle_completed(snapshot, t, data.authorization.amount, cfg)  # type: ignore[arg-type, union-attr]
    return with_idle_fee(base, data, cfg, until=None), data


def kw_price(t: object) -> int:
    """Monta's price: 100 start + 55 x 1 kWh, plus its own idle fee if it has one."""
    monta_idle = 0 if not t.idle_per_minute_minor else 10 * 20  # type: ignore[attr-defined]
    return int((Decimal(155 + monta_idle) * Decimal("1.25")).to_integral_value())


def test_monta_idle_fee_is_billed_once_inside_montas_price() -> None:
    t = tariff(start_fee_minor=100, idle_per_minute_minor=10, idle_after_minutes=10)
    settlement, data = _settled(t, OPERATOR)
    assert settlement.capture.amount_minor == kw_price(t) == 444  # type: ignore[attr-defined]
    assert settlement.attention is None  # type: ignore[attr-defined]
    assert data.idle.source == "monta" and data.idle.fee_minor == 250  # type: ignore[attr-defined]


def test_the_operators_idle_fee_is_added_once() -> None:
    t = tariff(start_fee_minor=100)
    settlement, data = _settled(t, OPERATOR)
    assert data.idle.source == "chargepay" and data.idle.fee_minor == 750  # type: ignore[attr-defined]
    assert settlement.capture.amount_minor == 194 + 750  # type: ignore[attr-defined]
    assert settlement.price.amount_minor == 194 + 750  # type: ignore[attr-defined]
    again = with_idle_fee(settlement, data, SessionConfig(idle_fee=OPERATOR), None)  # type: ignore[arg-type]
    assert again.capture.amount_minor == 194 + 750 + 750  # each call adds: call it once


def test_the_operators_fee_never_takes_the_capture_above_the_hold() -> None:
    settlement, data = _settled(tariff(start_fee_minor=100), OPERATOR, authorized=500)
    assert settlement.capture.amount_minor == 500  # type: ignore[attr-defined]
    assert data.idle.fee_minor == 306 and data.idle.capped == "hold"  # type: ignore[attr-defined]
    assert settlement.uncollected.amount_minor == 0  # type: ignore[attr-defined]


# -- where else idle fees count ----------------------------------------------------------


def test_the_sane_price_range_counts_montas_idle_time_from_full_to_the_unplug() -> None:
    t = tariff(idle_per_minute_minor=10, vat_rate=NO_VAT)
    low, high = tariff_price_range(_stayed(30), t, SessionConfig())  # type: ignore[arg-type]
    assert (low, high) == (55, 55 + 300)


def test_the_budget_reserves_the_operators_idle_fee() -> None:
    cfg = SessionConfig(idle_fee=IdleFeeRule(per_minute_minor=20, cap_minor=500))
    assert idle_reserve_minor(tariff(), cfg) == 500  # 30 min x 20 = 600, capped at 500
    assert idle_reserve_minor(tariff(), SessionConfig()) == 0
    graced = SessionConfig(idle_fee=IdleFeeRule(per_minute_minor=20, grace_minutes=10))
    assert idle_reserve_minor(tariff(), graced) == 400  # (30 - 10 free) x 20
    monta = tariff(idle_per_minute_minor=10, idle_after_minutes=30, idle_cap_minor=1000)
    assert idle_reserve_minor(monta, SessionConfig()) == 0  # 30 expected minutes are free
    hold = Money(amount_minor=5000, currency="EUR")
    assert (
        compute_budget(hold, tariff(), cfg).kwh_budget
        < compute_budget(hold, tariff(), SessionConfig()).kwh_budget
    )


def test_the_receipt_itemizes_the_added_idle_fee() -> None:
    t = tariff(start_fee_minor=100)
    fee = idle_fee(idle_rules(t, OPERATOR), _stayed(30), 1.0)  # type: ignore[arg-type]
    lines = itemize(_stayed(30), t, 194 + fee.fee_minor, 1.0, fee, idle_rules(t, OPERATOR))  # type: ignore[arg-type]
    assert sum(line.gross_minor for line in lines) == 194 + 750
    idle = [line for line in lines if line.kind == "idle_fee"]
    assert len(idle) == 1 and idle[0].quantity == Decimal("30.00") and idle[0].gross_minor == 750
    assert not [line for line in lines if line.kind == "adjustment"]


def test_the_sessions_confirmed_stop_stands_in_for_a_stopped_at_not_signalled() -> None:
    """Webhooks of a winding-down charge reach the session only with `completed`: a
    charge it saw `stopping` has no `stoppedAt` yet. The confirmed stop (+ latency) counts."""
    stopping = snap(600, "1", state="stopping", started_at=at(0))
    data = SessionData(view=merge(None, stopping, 1.0), stop_sent_at=at(600))
    cfg = SessionConfig(stop_delivery_latency_s=15)
    assert idle_snapshot(data, cfg).stopped_at is None  # type: ignore[union-attr]
    data.stop_confirmed = True
    assert idle_snapshot(data, cfg).stopped_at == at(615)  # type: ignore[union-attr]
    assert watch_limit(_rules(), idle_snapshot(data, cfg), 1.0, 3600, 900) == at(615 + 3600)


def test_a_capture_before_completed_freezes_only_chargepays_fee() -> None:
    """Captured at the idle watch's end: chargepay's fee is final (a later unplug adds
    nothing); Monta's fee is only an estimate until Monta's final price."""
    running = snap(40 * MIN, "1", state="releasing", started_at=at(0), stopped_at=at(10 * MIN))
    for t, frozen in (
        (tariff(start_fee_minor=100), True),
        (tariff(idle_per_minute_minor=10), False),
    ):
        data = SessionData(
            tariff=t,
            authorization=Authorization(
                authorization_id="a",
                amount=Money(amount_minor=5000, currency="EUR"),
                expires_at=at(7 * 24 * 3600),
            ),
            view=merge(None, running, 1.0),
        )
        base = settle_completed(running, t, data.authorization.amount, SessionConfig())  # type: ignore[union-attr]
        with_idle_fee(base, data, SessionConfig(idle_fee=OPERATOR), until=at(40 * MIN))
        assert data.idle is not None and (data.idle.ended == "watch_limit") is frozen
