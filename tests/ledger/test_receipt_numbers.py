"""Receipt numbers: gapless per operator, one per session, under concurrent completions."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, select

from ledger.db import make_engine
from ledger.migrate import upgrade
from ledger.receipts_store import (
    AlreadyCorrected,
    NoReceipt,
    issue_correction,
    issue_receipt,
    read_receipt,
)
from ledger.tables import receipts
from receipts.build import build_receipt
from tests.ledger.samples import T0, operator, receipt_input
from workflows.contracts import Buyer

WRITERS = 8


def _issue(engine: Engine, session_id: str) -> int:
    inp = receipt_input(session_id)
    op = operator(inp.operator)
    return issue_receipt(
        engine, session_id, inp.operator, "auth-1", lambda n: build_receipt(inp, op, n)
    ).receipt.number


def test_a_session_gets_one_receipt_and_keeps_its_number(sqlite_ledger: Engine) -> None:
    first = issue_receipt(
        sqlite_ledger,
        "session-alpha-T1-a",
        "alpha",
        "auth-1",
        lambda n: build_receipt(receipt_input("session-alpha-T1-a"), operator(), n),
    )
    again = issue_receipt(
        sqlite_ledger,
        "session-alpha-T1-a",
        "alpha",
        "auth-1",
        lambda n: build_receipt(receipt_input("session-alpha-T1-a"), operator(), n),
    )
    assert first.created and not again.created
    assert again.receipt == first.receipt
    assert read_receipt(sqlite_ledger, "session-alpha-T1-a") == first.receipt


def test_concurrent_completions_get_gapless_numbers_per_operator(ledger_url: str) -> None:
    """Writers on separate engines (separate connections, as separate workers have) issue
    receipts for two operators at once, every session twice: each operator's numbers are
    1..N with no gap and no repeat, and each session has exactly one."""
    setup = make_engine(ledger_url)
    upgrade(setup)
    engines = [make_engine(ledger_url) for _ in range(WRITERS)]
    sessions = [f"session-{op}-T1-tx{i}" for op in ("alpha", "bravo") for i in range(20)]
    jobs = [(engines[i % WRITERS], s) for i, s in enumerate(sessions * 2)]
    try:
        with ThreadPoolExecutor(WRITERS) as pool:
            numbers = list(pool.map(lambda job: _issue(*job), jobs))
        by_session: dict[str, set[int]] = {}
        for (_, session), number in zip(jobs, numbers, strict=True):
            by_session.setdefault(session, set()).add(number)
        assert all(len(n) == 1 for n in by_session.values())  # the retry got the same number
        with setup.connect() as conn:
            rows = conn.execute(select(receipts.c.operator, receipts.c.number)).all()
        for op in ("alpha", "bravo"):
            assert sorted(n for o, n in rows if o == op) == list(range(1, 21))
    finally:
        for engine in (setup, *engines):
            engine.dispose()


def test_numbers_survive_a_restart(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    assert _issue(engine, "session-alpha-T1-one") == 1
    engine.dispose()
    engine = make_engine(sqlite_url)  # a new process, the same file
    assert _issue(engine, "session-alpha-T1-two") == 2
    engine.dispose()


def test_a_correction_gets_the_next_number_once_and_names_the_first(
    sqlite_ledger: Engine,
) -> None:
    first = _issue(sqlite_ledger, "session-alpha-T1-c")
    buyer = Buyer(vat_id="DE123456789", name="Muster GmbH")
    corrected = issue_correction(sqlite_ledger, "session-alpha-T1-c", buyer, T0)
    assert corrected.created and corrected.receipt.number == first + 1
    assert corrected.receipt.corrects == f"ALPHA-R-{first:06d}"
    assert corrected.receipt.buyer == buyer
    original = read_receipt(sqlite_ledger, "session-alpha-T1-c")
    assert original is not None and original.total_minor == corrected.receipt.total_minor
    again = issue_correction(sqlite_ledger, "session-alpha-T1-c", buyer, T0)
    assert not again.created and again.receipt == corrected.receipt
    other = Buyer(vat_id="DK12345678", name="Other ApS")
    with pytest.raises(AlreadyCorrected):
        issue_correction(sqlite_ledger, "session-alpha-T1-c", other, T0)
    with pytest.raises(NoReceipt):
        issue_correction(sqlite_ledger, "session-alpha-T1-none", buyer, T0)
    assert _issue(sqlite_ledger, "session-alpha-T1-d") == first + 2  # no gap, no repeat
    assert read_receipt(sqlite_ledger, "session-alpha-T1-c") != corrected.receipt
