"""The chaos verdict on hand-made ground truth: each kind of damage is caught and named."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bench.chaos.checks import MUST_BE_ZERO, Session, verdict

SID = "session-alpha-T1-tx1"


def session(**kw: Any) -> Session:
    base: dict[str, Any] = {
        "session_id": SID,
        "hold_ref": "auth_1",
        "got_session_id": True,
        "exists": True,
        "final": True,
        "state": "completed",
    }
    return Session(**(base | kw))


def charge(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 10001,
        "partnerExternalId": SID,
        "state": "completed",
        "consumedKwh": Decimal("10.5"),
        "price": Decimal("7.16"),
        "currency": "EUR",
    }
    return base | kw


def hold(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "auth_1",
        "amount_minor": 1500,
        "status": "captured",
        "captures": [{"amount_minor": 716, "idempotency_key": f"{SID}/capture"}],
        "voids": [],
    }
    return base | kw


def problems(v: Any) -> set[str]:
    return {name for name in MUST_BE_ZERO if v.figures[name]}


def test_a_clean_session_passes() -> None:
    v = verdict([session()], [charge()], [hold()])
    assert v.passed and v.figures["finished"] == 1
    assert problems(v) == set()


def test_capture_is_capped_at_the_authorized_amount() -> None:
    captured = [{"amount_minor": 1500, "idempotency_key": f"{SID}/capture"}]
    v = verdict([session()], [charge(price=Decimal("19.99"))], [hold(captures=captured)])
    assert v.passed


def test_two_charges_for_one_session_are_duplicates() -> None:
    v = verdict([session()], [charge(), charge(id=10002, consumedKwh=0, price=0)], [hold()])
    assert "duplicate_charges" in problems(v)
    assert any(p.get("charges") == [10001, 10002] for p in v.problems)


def test_capture_plus_void_is_a_double_capture() -> None:
    voids = [{"idempotency_key": f"{SID}/void"}]
    v = verdict([session()], [charge()], [hold(voids=voids)])
    assert problems(v) == {"double_captures"}


def test_an_open_hold_is_named_with_its_session() -> None:
    v = verdict([session()], [charge()], [hold(status="open", captures=[])])
    assert "open_holds" in problems(v)
    assert {"figure": "open_holds", "hold": "auth_1", "session": SID}.items() <= next(
        p for p in v.problems if p["figure"] == "open_holds"
    ).items()


def test_a_reconciliation_void_does_not_hide_an_open_hold() -> None:
    voids = [{"idempotency_key": "reconcile/auth_1/void"}]
    v = verdict([session(state="voided")], [], [hold(status="voided", captures=[], voids=voids)])
    assert problems(v) == {"open_holds"}


def test_void_where_energy_was_delivered_is_a_wrong_amount() -> None:
    voids = [{"idempotency_key": f"{SID}/void"}]
    v = verdict([session()], [charge()], [hold(status="voided", captures=[], voids=voids)])
    assert problems(v) == {"wrong_amounts"}


def test_void_of_a_charge_without_energy_is_right() -> None:
    voids = [{"idempotency_key": f"{SID}/void"}]
    empty = charge(consumedKwh=Decimal(0), price=Decimal(0))
    v = verdict(
        [session(state="voided")], [empty], [hold(status="voided", captures=[], voids=voids)]
    )
    assert v.passed


def test_a_capture_off_the_price_is_wrong_unless_flagged() -> None:
    low = [{"amount_minor": 700, "idempotency_key": f"{SID}/capture"}]
    assert problems(verdict([session()], [charge()], [hold(captures=low)])) == {"wrong_amounts"}
    flagged = verdict([session(attention="price_mismatch")], [charge()], [hold(captures=low)])
    assert flagged.passed and len(flagged.flagged) == 1
    high = [{"amount_minor": 800, "idempotency_key": f"{SID}/capture"}]
    flagged_high = verdict([session(attention="x")], [charge()], [hold(captures=high)])
    assert problems(flagged_high) == {"wrong_amounts"}


def test_card_not_present_holds_are_found_by_idempotency_key() -> None:
    cnp = hold(id="auth_cnp")
    v = verdict([session(hold_ref=None)], [charge()], [cnp])
    assert v.passed
    wrong = hold(id="auth_cnp", captures=[{"amount_minor": 1, "idempotency_key": f"{SID}/capture"}])
    assert problems(verdict([session(hold_ref=None)], [charge()], [wrong])) == {"wrong_amounts"}


def test_unfinished_sessions_are_stuck_and_lost() -> None:
    running = session(final=False, state="charging")
    v = verdict([running], [charge(state="charging")], [hold(status="open", captures=[])])
    assert problems(v) == {"stuck", "lost_sessions", "open_holds", "charges_not_completed"}
    never_started = session(final=False, exists=False, state=None)
    assert problems(verdict([never_started], [], [])) == {"lost_sessions"}


def test_expired_and_overcaptured_holds_fail() -> None:
    v = verdict([session()], [charge()], [hold(status="expired", captures=[])])
    assert "expired_holds" in problems(v)
    over = [{"amount_minor": 1600, "idempotency_key": f"{SID}/capture"}]
    assert "captured_above_authorized" in problems(
        verdict([session()], [charge(price=Decimal("16"))], [hold(captures=over)])
    )


def test_minor_unit_prices() -> None:
    v = verdict([session()], [charge(price=Decimal("716"))], [hold()], money_unit="minor")
    assert v.passed
