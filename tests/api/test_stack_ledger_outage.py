"""The ledger unavailable while a session writes its receipt (real API + worker + Temporal +
both emulators as processes). The money is settled first: the capture is done while the
ledger refuses writes, the session waits in `settling` and retries the receipt, and once the
ledger is back it writes exactly one receipt whose number leaves no gap (a failed attempt
never burns a number)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.client import Client

from tests.api.stack import RunningStack, hold_start_body, running_stack
from workflows.contracts import LEDGER_WRITE_RECEIPT

pytestmark = pytest.mark.timeout(600)

# The ledger stays locked until the receipt write has failed at least once: SQLite's busy
# timeout and the activity's start-to-close are both 30 s (ledger/db.py,
# workflows/session_receipt.py). A bound, not a timed assertion.
OUTAGE_BOUND_S = 120.0


@pytest.fixture(scope="module")
def stack(log_dir: Path) -> Iterator[RunningStack]:
    with running_stack(log_dir, time_scale=60.0) as s:
        yield s


def _ledger(stack: RunningStack) -> Path:
    return stack.stack.config.data_dir / "ledger.sqlite3"


def _receipt_numbers(stack: RunningStack) -> list[tuple[str, int]]:
    with sqlite3.connect(_ledger(stack)) as conn:
        q = "SELECT session_id, number FROM receipts WHERE operator = 'alpha' ORDER BY number"
        return [(str(sid), int(n)) for sid, n in conn.execute(q)]


def _receipt_attempt(stack: RunningStack, session_id: str) -> int:
    """The attempt the session's pending receipt write is on (0: none pending)."""

    async def read() -> int:
        client = await Client.connect(stack.stack.temporal_address)
        described = await client.get_workflow_handle(session_id).describe()
        pending = described.raw_description.pending_activities
        attempts = [a.attempt for a in pending if a.activity_type.name == LEDGER_WRITE_RECEIPT]
        return max(attempts, default=0)

    return asyncio.run(read())


def _charge_and_stop(stack: RunningStack, terminal: str, cp: int) -> tuple[str, str]:
    key = stack.new_key(terminal, [cp])
    body = hold_start_body(stack.place_hold(terminal, 3000), cp, 3000)
    started = stack.start(key, body)
    assert started.status_code == 201, started.text
    sid = started.json()["session_id"]
    stack.wait_state(key, sid, {"charging"})
    time.sleep(1)  # a minute of (scaled) energy
    assert stack.stop(key, sid).status_code == 200
    return sid, key


def test_a_ledger_outage_delays_the_receipt_never_the_money_nor_a_number(
    stack: RunningStack,
) -> None:
    first, key = _charge_and_stop(stack, "LO1", 101)
    assert stack.wait_state(key, first)["state"] == "completed"

    # Another writer holds the ledger: every write waits, then fails.
    lock = sqlite3.connect(_ledger(stack), isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        sid, key = _charge_and_stop(stack, "LO2", 102)
        status = stack.wait_state(key, sid, {"settling", "completed"})
        deadline = time.monotonic() + OUTAGE_BOUND_S
        while time.monotonic() < deadline and not _receipt_failed_once(stack, sid):
            time.sleep(1)
        status = stack.status(key, sid)
        # The money is done while the receipt waits: captured, the rest released.
        assert status["state"] == "settling", status
        assert status["captured"]["amount_minor"] == status["price"]["amount_minor"] > 0
        assert status["captured"]["amount_minor"] + status["released"]["amount_minor"] == 3000
        assert _receipt_failed_once(stack, sid), "the receipt write never met the outage"
    finally:
        lock.execute("ROLLBACK")
        lock.close()

    final = stack.wait_state(key, sid)
    assert final["state"] == "completed" and not final.get("attention"), final
    numbers = _receipt_numbers(stack)
    assert [s for s, _ in numbers].count(sid) == 1
    assert [n for _, n in numbers] == list(range(numbers[0][1], numbers[0][1] + len(numbers)))
    assert dict(numbers)[sid] == dict(numbers)[first] + 1


def _receipt_failed_once(stack: RunningStack, session_id: str) -> bool:
    """A second attempt is pending: the first one failed on the locked ledger."""
    return _receipt_attempt(stack, session_id) >= 2
