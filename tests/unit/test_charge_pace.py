"""How near a charge is to its session's budget, from the readings one API process saw."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from api.charge_pace import Pace, PaceBook, Reading, due_soon, pace_between, stop_due
from api.signal_coalesce import CoalescePolicy, Signalled, should_signal
from workflows.contracts import ChargeSnapshot

T0 = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)


def snap(kwh: str, sec: float, cid: int = 7, limit: str = "40") -> ChargeSnapshot:
    return ChargeSnapshot(
        charge_id=cid,
        state="charging",
        consumed_kwh=Decimal(kwh),
        kwh_limit=Decimal(limit),
        updated_at=T0 + timedelta(seconds=sec),
        partner_external_id="session-alpha-T1-tx",
    )


def test_pace_is_the_rate_between_two_rising_readings() -> None:
    pace = pace_between(
        Reading(Decimal(10), T0), Reading(Decimal(11), T0 + timedelta(seconds=30)), Decimal(20)
    )
    assert pace is not None
    assert pace.gap_s == 30 and abs(pace.kwh_per_s * 30 - 1) < Decimal("1e-20")
    flat = Reading(Decimal(10), T0 + timedelta(seconds=30))
    assert pace_between(Reading(Decimal(10), T0), flat, Decimal(20)) is None


def test_due_soon_looks_the_stop_latency_and_one_reading_ahead() -> None:
    pace = Pace(kwh_budget=Decimal(20), kwh_per_s=Decimal("0.1"), gap_s=Decimal(10))
    # 1 reading (10 s) + 15 s latency at 0.1 kWh/s = 2.5 kWh ahead
    assert not due_soon(snap("17.4", 0), pace, 15.0)
    assert due_soon(snap("17.5", 0), pace, 15.0)
    assert due_soon(snap("25", 0), pace, 15.0)  # past the budget


def test_the_reading_before_the_stop_due_one_is_signalled() -> None:
    """At a steady 0.1 kWh/s every 10 s, the stop falls due at 18.6 kWh (+1.5 in 15 s):
    the reading before it is due soon, the one before that is not."""
    pace = Pace(kwh_budget=Decimal(20), kwh_per_s=Decimal("0.1"), gap_s=Decimal(10))
    readings = [Decimal("16.6"), Decimal("17.6"), Decimal("18.6")]
    assert [stop_due(k, pace, 15.0) for k in readings] == [False, False, True]
    assert [due_soon(snap(str(k), 0), pace, 15.0) for k in readings] == [False, True, True]


def test_book_learns_pace_only_for_expected_charges_after_two_rises() -> None:
    book = PaceBook(max_charges=10)
    assert book.observe(snap("1", 0)) is None  # never expected: not learnt
    book.expect(7, Decimal(30))
    assert book.observe(snap("1", 0)) is None  # one reading: no rate yet
    assert book.observe(snap("1", 5)) is None  # no rise: same reading again
    pace = book.observe(snap("2", 10))
    assert pace == Pace(Decimal(30), Decimal("0.1"), Decimal(10))
    assert book.observe(snap("2", 12)) == pace  # a repeat keeps the last rise's pace
    assert book.observe(snap("1.5", 20)) == pace  # nor does a lower (reordered) reading


def test_book_is_bounded_lru() -> None:
    book = PaceBook(max_charges=2)
    for cid in (1, 2, 3):
        book.expect(cid, Decimal(10))
    assert len(book) == 2
    for sec, kwh in ((0, "1"), (10, "2")):
        assert book.observe(snap(kwh, sec, cid=1)) is None  # evicted: the ratio rule applies


def test_should_signal_uses_the_pace_instead_of_the_ratio() -> None:
    policy = CoalescePolicy(near_cap_ratio=Decimal("0.75"), max_interval_s=1e9, stop_latency_s=0)
    last = Signalled.of(snap("30", 0), at=0.0)
    pace = Pace(kwh_budget=Decimal(38), kwh_per_s=Decimal("0.1"), gap_s=Decimal(10))
    assert should_signal(snap("31", 10), last, 1.0, policy) == "near_cap"
    assert should_signal(snap("31", 10), last, 1.0, policy, pace) is None
    assert should_signal(snap("36", 60), last, 1.0, policy, pace) is None
    assert should_signal(snap("37", 70), last, 1.0, policy, pace) == "near_budget"


def test_with_a_pace_a_snapshot_without_kwh_limit_is_held_back_too() -> None:
    policy = CoalescePolicy(near_cap_ratio=Decimal("0.75"), max_interval_s=1e9)
    last = Signalled.of(snap("10", 0), at=0.0)
    capless = snap("11", 10).model_copy(update={"kwh_limit": None})
    pace = Pace(kwh_budget=Decimal(38), kwh_per_s=Decimal("0.1"), gap_s=Decimal(10))
    assert should_signal(capless, last, 1.0, policy) == "no_cap"
    assert should_signal(capless, last, 1.0, policy, pace) is None
