"""Refunds in the ledger, on SQLite and PostgreSQL: one row per (session, refund key) with a
gapless credit note number per operator, also when the same refund is recorded at once by
racing writers (a retried activity)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from ledger.db import make_engine
from ledger.migrate import upgrade
from ledger.refunds_store import (
    RefundRecord,
    credit_notes,
    record_refund,
    refunded_minor,
    refunds_of,
)
from tests.ledger.samples import T0

WRITERS = 6


def _refund(session_id: str, key: str, minor: int = 100) -> RefundRecord:
    return RefundRecord(
        session_id=session_id,
        refund_key=key,
        operator=session_id.split("-")[1],
        amount_minor=minor,
        currency="EUR",
        reason="goodwill",
        requested_by="alice@example.com",
        acquirer_refund_id=f"re_{key}",
        request_digest="d" * 64,
        created_at=T0,
    )


def test_a_refund_is_recorded_once_with_the_next_credit_note(ledger_url: str) -> None:
    engine = make_engine(ledger_url)
    upgrade(engine)
    try:
        first = record_refund(engine, _refund("session-alpha-T1-a", "k1"))
        again = record_refund(engine, replace(_refund("session-alpha-T1-a", "k1"), reason="x"))
        assert again == first and first.number == 1 and first.number_text == "ALPHA-C-000001"
        second = record_refund(engine, _refund("session-alpha-T1-a", "k2", 50))
        other_op = record_refund(engine, _refund("session-bravo-T1-b", "k1"))
        assert (second.number, other_op.number) == (2, 1)
        assert refunded_minor(engine, "session-alpha-T1-a") == 150
        assert [n.refund_key for n in credit_notes(engine, "session-alpha-T1-a")] == ["k1", "k2"]
        (row, number), _ = refunds_of(engine, "session-alpha-T1-a")
        assert (row.refund_key, number, row.created_at.tzinfo is not None) == ("k1", 1, True)
    finally:
        engine.dispose()


def test_racing_writers_of_one_refund_make_one_row_and_no_gap(ledger_url: str) -> None:
    setup = make_engine(ledger_url)
    upgrade(setup)
    engines = [make_engine(ledger_url) for _ in range(WRITERS)]
    jobs = [
        (engines[i % WRITERS], _refund("session-alpha-T1-r", f"k{i % 3}"))
        for i in range(WRITERS * 2)
    ]
    try:
        with ThreadPoolExecutor(WRITERS) as pool:
            notes = list(pool.map(lambda job: record_refund(*job), jobs))
        by_key: dict[str, set[int]] = {}
        for (_, refund), note in zip(jobs, notes, strict=True):
            by_key.setdefault(refund.refund_key, set()).add(note.number)
        assert all(len(numbers) == 1 for numbers in by_key.values())
        assert sorted(n for numbers in by_key.values() for n in numbers) == [1, 2, 3]
    finally:
        for engine in (setup, *engines):
            engine.dispose()
