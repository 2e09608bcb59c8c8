"""Each mismatch kind from hand-made facts, and silence on consistent ones (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from core.money import Money
from workflows.contracts import ChargeSnapshot, WalletTransactionSummary
from workflows.reconciliation_holds import needs_void, orphan_holds
from workflows.reconciliation_logic import (
    find_mismatches,
    sessions_missing_charges,
    summary_markdown,
)
from workflows.reconciliation_models import (
    Facts,
    HoldRecord,
    LiveHolds,
    ReconcileReport,
    SessionOutcome,
)

NOW = datetime(2026, 1, 2, tzinfo=UTC)
START = NOW - timedelta(days=1)
OLD = NOW - timedelta(hours=2)


def eur(n: int) -> Money:
    return Money(amount_minor=n, currency="EUR")


def charge(sid: str, cid: int, price: int) -> ChargeSnapshot:
    return ChargeSnapshot(
        charge_id=cid,
        state="completed",
        consumed_kwh=Decimal("3"),
        price_minor=price,
        currency="EUR",
        updated_at=OLD,
        completed_at=OLD,
        partner_external_id=sid,
    )


def session(
    sid: str, cid: int | None, auth: str, captured: int | None, **kw: Any
) -> SessionOutcome:
    """`kw`: running, state, open (not closed yet), and any other SessionOutcome field."""
    return SessionOutcome(
        session_id=sid,
        running=kw.pop("running", False),
        state=kw.pop("state", "completed"),
        charge_id=cid,
        authorization_id=auth,
        authorized=eur(1000),
        captured=eur(captured) if captured is not None else None,
        closed_at=None if kw.pop("open", False) else OLD,
        **kw,
    )


def hold(
    auth: str,
    status: str,
    captured: int = 0,
    created: datetime = OLD,
    terminal: str | None = None,
) -> HoldRecord:
    return HoldRecord(
        authorization_id=auth,
        amount=eur(1000),
        status=status,
        captured_minor=captured,
        created_at=created,
        terminal_id=terminal,
    )


def wallet(cid: int, amount: int) -> WalletTransactionSummary:
    return WalletTransactionSummary(
        id=cid, state="complete", amount_minor=amount, currency="EUR", reference_id=str(cid)
    )


def facts(**kw: Any) -> Facts:
    base: dict[str, Any] = {
        "charges": [charge("s-ok", 1, 400), charge("s-over", 2, 1500)],
        "wallet": [wallet(1, 400), wallet(2, 1500)],
        "sessions": [session("s-ok", 1, "a-ok", 400), session("s-over", 2, "a-over", 1000)],
        "holds": [hold("a-ok", "captured", 400), hold("a-over", "captured", 1000)],
        "live": LiveHolds(),
        "now": NOW,
        "hold_grace": timedelta(minutes=15),
        "judge_sessions_closed_after": START,
    }
    for key, extra in kw.items():
        base[key] = extra if key == "live" else base[key] + extra
    return Facts(**base)


def kinds(f: Facts) -> list[str]:
    return sorted(m.kind for m in find_mismatches(f))


def test_consistent_books_give_no_mismatch() -> None:
    # Includes a price above the hold: capture = min(price, authorized) is right.
    assert kinds(facts()) == []


def test_each_kind_is_found() -> None:
    f = facts(
        charges=[charge("s-nocap", 3, 500), charge("s-wrong", 4, 500), charge("s-ghost", 5, 300)],
        wallet=[wallet(3, 500), wallet(4, 500), wallet(5, 300)],
        sessions=[
            session("s-nocap", 3, "a-nocap", None),
            session("s-wrong", 4, "a-wrong", 450),
            session("s-voided", None, "a-open", None, state="voided"),
            session("s-lost", 9, "a-lost", 300),
        ],
        holds=[
            hold("a-nocap", "voided"),
            hold("a-wrong", "captured", 450),
            hold("a-open", "open"),
            hold("a-lost", "captured", 300),
        ],
    )
    found = {m.kind: m for m in find_mismatches(f)}
    assert sorted(found) == [
        "capture_mismatch",
        "charge_without_session",
        "completed_without_capture",
        "hold_open_after_session_end",
        "session_without_charge",
    ]
    assert (found["capture_mismatch"].expected_minor, found["capture_mismatch"].actual_minor) == (
        500,
        450,
    )
    assert found["completed_without_capture"].session_id == "s-nocap"
    assert found["charge_without_session"].charge_id == 5
    assert found["hold_open_after_session_end"].authorization_id == "a-open"
    assert found["session_without_charge"].session_id == "s-lost"


def test_a_hold_the_acquirer_grew_past_what_the_session_knows_is_reported() -> None:
    """An increment that committed after the session gave up on it: the session knows €10 +
    €5; the acquirer holds €20. Reported with each increment, never voided."""
    grown = HoldRecord(
        authorization_id="a-inc",
        amount=eur(2000),
        status="captured",
        captured_minor=1400,
        created_at=OLD,
    )
    inc = session("s-inc", 7, "a-inc", 1400, increments=[eur(500)])
    inc = inc.model_copy(update={"authorized": eur(1500)})
    f = facts(charges=[charge("s-inc", 7, 1400)], wallet=[wallet(7, 1400)], sessions=[inc],
              holds=[grown])  # fmt: skip
    found = [m for m in find_mismatches(f) if m.kind == "hold_amount_mismatch"]
    assert [(m.session_id, m.expected_minor, m.actual_minor, m.action) for m in found] == [
        ("s-inc", 1500, 2000, "report_only")
    ]
    assert "1000 + 500 = 1500 (1 increments)" in found[0].detail
    # The same hold as the session knows it: nothing to report.
    agreed = grown.model_copy(update={"amount": eur(1500)})
    f = facts(charges=[charge("s-inc", 7, 1400)], wallet=[wallet(7, 1400)], sessions=[inc],
              holds=[agreed])  # fmt: skip
    assert kinds(f) == []


def test_running_sessions_and_young_holds_are_not_judged() -> None:
    f = facts(
        charges=[charge("s-run", 6, 500)],
        wallet=[wallet(6, 500)],
        sessions=[session("s-run", 6, "a-run", None, running=True, open=True)],
        holds=[hold("a-run", "open"), hold("a-new", "open", created=NOW - timedelta(minutes=1))],
    )
    assert kinds(f) == []
    assert orphan_holds(f) == []


def test_wallet_disagreement_is_reported() -> None:
    f = facts(charges=[charge("s-w", 7, 500)], sessions=[session("s-w", 7, "a-w", 500)])
    f = f.model_copy(update={"holds": [*f.holds, hold("a-w", "captured", 500)]})
    assert kinds(f) == ["wallet_mismatch"]


def test_sessions_missing_charges_are_looked_up() -> None:
    sessions = [session("s-a", 1, "x", 1), session("s-b", 2, "y", 1), session("s-c", None, "z", 0)]
    assert sessions_missing_charges(sessions, [charge("s-a", 1, 1)], START) == ["s-b"]


def test_summary_names_counts() -> None:
    report = ReconcileReport(
        operator="alpha",
        window_from=START,
        window_to=NOW,
        generated_at=NOW,
        mismatches=find_mismatches(facts(charges=[charge("s-ghost", 5, 300)])),
    )
    text = summary_markdown(report)
    assert "charge_without_session 1" in text
    assert "clean" in summary_markdown(report.model_copy(update={"mismatches": []}))


# ---------------------------------------------------------------- orphan holds, every operator
def to_void(f: Facts) -> list[str | None]:
    return [m.authorization_id for m in find_mismatches(f) if needs_void(m)]


def test_another_operators_live_hold_is_not_an_orphan() -> None:
    # The acquirer lists bravo's live session's hold too; alpha's sessions do not name it.
    f = facts(
        holds=[hold("a-bravo-live", "open")], live=LiveHolds(authorization_ids=["a-bravo-live"])
    )
    assert orphan_holds(f) == []
    assert kinds(f) == []


def test_nothing_is_voided_while_a_running_session_did_not_answer() -> None:
    f = facts(
        sessions=[session("s-gone", None, "a-gone", None, state="voided")],
        holds=[hold("a-gone", "open"), hold("a-stray", "open")],
        live=LiveHolds(authorization_ids=["a-other"], unanswered=1),
    )
    found = [m for m in find_mismatches(f) if m.kind == "hold_open_after_session_end"]
    assert sorted(m.authorization_id or "" for m in found) == ["a-gone", "a-stray"]
    assert {m.action for m in found} == {"deferred: 1 running sessions did not answer"}
    assert to_void(f) == []


def test_a_running_session_without_a_hold_id_past_the_grace_defers_voiding() -> None:
    f = facts(holds=[hold("a-stray", "open")], live=LiveHolds(unbound=2))
    (m,) = find_mismatches(f)
    assert m.action == "deferred: 2 running sessions have no hold id past the grace"
    assert to_void(f) == []


def test_a_genuine_orphan_past_the_grace_is_voided() -> None:
    f = facts(
        sessions=[session("s-gone", None, "a-gone", None, state="voided")],
        holds=[hold("a-gone", "open"), hold("a-live", "open")],
        live=LiveHolds(authorization_ids=["a-live"]),
    )
    assert to_void(f) == ["a-gone"]
    (m,) = find_mismatches(f)
    assert (m.session_id, m.detail) == ("s-gone", "session voided")


def test_a_hold_younger_than_the_grace_is_left_alone() -> None:
    # Its session may still be pricing or authorizing: it cannot name the hold yet.
    # The grace counts from the hold's creation, whatever the session's age.
    young = NOW - timedelta(minutes=15) + timedelta(seconds=1)
    due = NOW - timedelta(minutes=15)
    f = facts(holds=[hold("a-young", "open", created=young), hold("a-due", "open", created=due)])
    assert [h.authorization_id for h in orphan_holds(f)] == ["a-due"]
    assert to_void(f) == ["a-due"]


# ---------------------------------------------------------------- a capture still to collect
HOLD_KINDS = ("capture_outstanding", "hold_open_after_session_end")
CAPTURE_FAILED = {"attention": "capture_failed: payment_unavailable", "reason": "capture_failed"}


@pytest.mark.parametrize(
    "ended",
    [
        pytest.param({"price": eur(500), **CAPTURE_FAILED}, id="capture_failed"),
        pytest.param({"attention": "capture_failed: payment_unavailable"}, id="flag-only"),
        pytest.param({"price": eur(500)}, id="price-nothing-captured"),
        pytest.param({"price": eur(1200), "uncollected": eur(200)}, id="uncollected"),
        pytest.param({"state": "terminated"}, id="ended-unknown"),
    ],
)
def test_a_hold_with_a_capture_outstanding_is_reported_never_voided(ended: dict[str, Any]) -> None:
    # The session ended with money to collect on its still-open hold: voiding the hold
    # would lose that money for good. An operator retries the capture or writes it off.
    f = facts(
        sessions=[session("s-fail", None, "a-fail", None, **ended)],
        holds=[hold("a-fail", "open")],
    )
    (m,) = find_mismatches(f)
    assert (m.kind, m.session_id, m.authorization_id) == ("capture_outstanding", "s-fail", "a-fail")
    assert (m.actual_minor, m.currency, m.action) == (1000, "EUR", "report_only")
    assert to_void(f) == []


def test_capture_outstanding_is_not_voided_even_when_nothing_defers() -> None:
    f = facts(
        sessions=[
            session("s-fail", None, "a-fail", None, price=eur(500), **CAPTURE_FAILED),
            session("s-gone", None, "a-gone", None, state="voided"),
        ],
        holds=[hold("a-fail", "open"), hold("a-gone", "open")],
    )
    assert kinds(f) == ["capture_outstanding", "hold_open_after_session_end"]
    assert to_void(f) == ["a-gone"]


@pytest.mark.parametrize(
    "ended",
    [
        pytest.param({"state": "voided"}, id="voided"),
        pytest.param({"state": "declined"}, id="declined"),
        pytest.param({"state": "rejected"}, id="rejected"),
        pytest.param({"state": "start_failed"}, id="start_failed"),
        pytest.param({"captured": 400, "price": eur(400)}, id="completed-captured"),
        pytest.param({"price": eur(0)}, id="completed-nothing-to-pay"),
    ],
)
def test_a_hold_whose_session_ended_with_nothing_to_collect_is_voided(
    ended: dict[str, Any],
) -> None:
    fields = dict(ended)
    captured = fields.pop("captured", None)
    f = facts(
        sessions=[session("s-done", None, "a-done", captured, **fields)],
        holds=[hold("a-done", "open")],
    )
    # (A capture the books cannot find is another finding; the hold is what matters here.)
    held = [m.kind for m in find_mismatches(f) if m.kind in HOLD_KINDS]
    assert held == ["hold_open_after_session_end"]
    assert to_void(f) == ["a-done"]


# ---------------------------------------------------------------- a session still verifying
def test_a_young_session_still_verifying_protects_the_holds_it_could_verify() -> None:
    # The driver tapped long ago (the hold is past the grace) but the session only started
    # now: it is still pricing or authorizing, so it has no hold id and is not `unbound`
    # (younger than the grace). Its terminal's holds and every hold that names no terminal
    # may be the one it is about to verify; another terminal's hold is not.
    f = facts(
        holds=[
            hold("a-mine", "open", terminal="T1"),
            hold("a-token", "open"),
            hold("a-other", "open", terminal="T2"),
        ],
        live=LiveHolds(verifying_terminals=["T1"]),
    )
    assert to_void(f) == ["a-other"]
    found = {m.authorization_id: m.action for m in find_mismatches(f)}
    assert found == {
        "a-mine": "deferred: a running session on terminal T1 has no hold id yet",
        "a-token": "deferred: 1 running sessions have no hold id yet; the hold names no terminal",
        "a-other": None,
    }


def test_without_a_session_still_verifying_every_terminals_orphan_is_voided() -> None:
    f = facts(holds=[hold("a-mine", "open", terminal="T1"), hold("a-token", "open")])
    assert to_void(f) == ["a-mine", "a-token"]


def test_a_second_charge_for_a_session_is_reported_not_billed() -> None:
    """A start Monta committed after the session's late-commit window: the session follows
    its own charge, so the other one is reported for an operator."""
    f = facts(charges=[charge("s-ok", 7, 900)])
    found = [m for m in find_mismatches(f) if m.kind == "second_charge"]
    assert [(m.session_id, m.charge_id) for m in found] == [("s-ok", 7)]
    assert "follows charge 1" in (found[0].detail or "")
    assert not [m for m in find_mismatches(f) if m.kind == "completed_without_capture"]


def test_chargepays_own_idle_fee_is_part_of_what_is_due() -> None:
    """A session that billed the operator's idle fee captured Monta's price plus that fee
    (docs/idle-fees.md): that is right, and more than that is still a mismatch."""
    right = facts(
        charges=[charge("s-idle", 6, 400)],
        wallet=[wallet(6, 400)],
        sessions=[session("s-idle", 6, "a-idle", 525, own_idle_fee_minor=125)],
        holds=[hold("a-idle", "captured", 525)],
    )
    assert kinds(right) == []
    twice = facts(
        charges=[charge("s-idle", 6, 400)],
        wallet=[wallet(6, 400)],
        sessions=[session("s-idle", 6, "a-idle", 650, own_idle_fee_minor=125)],
        holds=[hold("a-idle", "captured", 650)],
    )
    (found,) = find_mismatches(twice)
    assert (found.kind, found.expected_minor, found.actual_minor) == ("capture_mismatch", 525, 650)
