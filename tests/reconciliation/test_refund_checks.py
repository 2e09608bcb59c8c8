"""Reconciliation includes refunds: the acquirer's refunds of a hold must equal what the
ledger recorded (credit notes) for the session that captured it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from core.money import Money
from ledger.db import make_engine
from ledger.migrate import upgrade
from ledger.receipts_store import issue_receipt
from ledger.refunds_store import record_refund, refunded_by_authorization
from receipts.build import build_receipt
from tests.ledger.samples import operator, receipt_input
from tests.ledger.test_refunds_store import _refund
from workflows.reconciliation_logic import find_mismatches
from workflows.reconciliation_models import Facts, HoldRecord, LiveHolds
from workflows.reconciliation_refunds import refunded_holds

NOW = datetime(2026, 1, 2, tzinfo=UTC)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def hold(auth: str, refunded: int) -> HoldRecord:
    return HoldRecord(
        authorization_id=auth,
        amount=Money(amount_minor=1500, currency="EUR"),
        status="captured",
        captured_minor=1000,
        refunded_minor=refunded,
        created_at=NOW - timedelta(hours=3),
    )


def facts(holds: list[HoldRecord], ledger: dict[str, int] | None) -> Facts:
    return Facts(
        charges=[],
        wallet=[],
        sessions=[],
        holds=holds,
        live=LiveHolds(),
        now=NOW,
        hold_grace=timedelta(minutes=15),
        judge_sessions_closed_after=NOW - timedelta(days=1),
        ledger_refunded=ledger,
    )


def test_refunds_the_ledger_knows_are_clean_and_others_are_reported() -> None:
    holds = [hold("a", 200), hold("b", 300), hold("c", 0)]
    assert refunded_holds(holds) == ["a", "b"]
    found = find_mismatches(facts(holds, {"a": 200, "b": 100}))
    (m,) = [m for m in found if m.kind == "refund_mismatch"]
    assert (m.authorization_id, m.expected_minor, m.actual_minor) == ("b", 100, 300)
    assert m.action == "report_only"  # nothing is moved to fix it


def test_without_a_ledger_read_nothing_is_judged() -> None:
    found = find_mismatches(facts([hold("a", 200)], None))
    assert [m for m in found if m.kind == "refund_mismatch"] == []


def test_the_ledger_sums_refunds_per_hold(ledger: Engine) -> None:
    sid = "session-alpha-T1-rec"
    inp = receipt_input(sid)
    issue_receipt(ledger, sid, "alpha", "auth-r", lambda n: build_receipt(inp, operator(), n))
    record_refund(ledger, _refund(sid, "k1", 150))
    record_refund(ledger, _refund(sid, "k2", 50))
    assert refunded_by_authorization(ledger, ["auth-r", "auth-x"]) == {"auth-r": 200}
    assert refunded_by_authorization(ledger, []) == {}
