"""Refunds end to end (real API + worker + Temporal + both emulators as processes): an
operator refunds part of a completed session through its SessionRecordsWorkflow; the acquirer
gives the money back once per refund key; the ledger issues a credit note; concurrent and
bad requests never refund more than was captured, and bad input moves no money."""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from api.operator_keys import create_key
from tests.api.stack import RunningStack, running_stack
from tests.api.support import auth
from tests.support.acquirer import fault_rule
from workflows.reconciliation import ReconciliationWorkflow
from workflows.reconciliation_models import ReconcileInput

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def stack(log_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    keys = tmp_path_factory.mktemp("operator-keys") / "operator_keys.json"
    env = {"CHARGEPAY_OPERATOR_KEYS_FILE": str(keys)}
    with running_stack(log_dir, time_scale=60.0, env=env) as s:
        yield s


@pytest.fixture(scope="module")
def operator_key(stack: RunningStack) -> str:
    path = Path(stack.stack.chargepay_env()["CHARGEPAY_OPERATOR_KEYS_FILE"])
    return create_key(path, "alpha", "alice@example.com")[1]


def _session(stack: RunningStack, terminal: str, cp: int) -> tuple[str, str, str]:
    key = stack.new_key(terminal, [cp])
    hold = stack.place_hold(terminal, 5000)
    body = {
        "terminal_transaction_id": f"rf_{uuid.uuid4().hex[:10]}",
        "charge_point_id": cp,
        "amount": {"amount_minor": 5000, "currency": "EUR"},
        "authorization_ref": hold,
    }
    r = stack.start(key, body)
    assert r.status_code == 201, r.text
    return r.json()["session_id"], key, hold


def _completed(stack: RunningStack, terminal: str, cp: int) -> tuple[str, str, str, int]:
    sid, key, hold = _session(stack, terminal, cp)
    stack.wait_state(key, sid, {"charging"})
    assert stack.stop(key, sid).status_code == 200
    final = stack.wait_state(key, sid)
    assert final["state"] == "completed" and final["captured"]["amount_minor"] > 0, final
    return sid, key, hold, final["captured"]["amount_minor"]


def _refund(stack: RunningStack, op_key: str, sid: str, minor: int, rkey: str, **kw: Any) -> Any:
    body = {
        "refund_key": rkey,
        "amount": {"amount_minor": minor, "currency": kw.get("currency", "EUR")},
        "reason": kw.get("reason", "goodwill"),
    }
    return stack.api.post(f"/v1/sessions/{sid}/refunds", json=body, headers=auth(op_key))


def _acquirer_refunds(stack: RunningStack, hold: str) -> list[int]:
    h = next(h for h in stack.acquirer_truth()["holds"] if hold in (h["id"], h.get("id")))
    return [r["amount_minor"] for r in h["refunds"]]


def test_a_partial_refund_is_made_once_and_gets_a_credit_note(
    stack: RunningStack, operator_key: str
) -> None:
    sid, key, hold, captured = _completed(stack, "F1", 101)
    first = _refund(stack, operator_key, sid, 1, "rf-1")
    assert first.status_code == 200, first.text
    done = first.json()
    assert done["refund"]["amount"]["amount_minor"] == 1
    assert done["credit_note_number_text"].startswith("ALPHA-C-")
    again = _refund(stack, operator_key, sid, 1, "rf-1")  # a retry: the same answer
    assert again.status_code == 200 and again.json() == done
    assert _acquirer_refunds(stack, hold) == [1]
    reused = _refund(stack, operator_key, sid, 2, "rf-1")
    assert reused.status_code == 422 and reused.json()["error"] == "refund_key_reused"
    above = _refund(stack, operator_key, sid, captured, "rf-2")  # 1 already went back
    assert above.status_code == 422, above.text
    assert above.json()["error"] == "refund_above_refundable"
    assert above.json()["details"]["refundable_minor"] == captured - 1
    currency = _refund(stack, operator_key, sid, 1, "rf-3", currency="SEK")
    assert currency.status_code == 422 and currency.json()["error"] == "currency_mismatch"
    assert _acquirer_refunds(stack, hold) == [1]  # no bad request moved money
    # The receipt shows the credit note.
    receipt = stack.api.get(f"/v1/sessions/{sid}/receipt", headers=auth(key)).json()
    assert [n["refund_key"] for n in receipt["credit_notes"]] == ["rf-1"]


def test_concurrent_refunds_never_exceed_the_capture(
    stack: RunningStack, operator_key: str
) -> None:
    sid, _, hold, captured = _completed(stack, "F2", 102)
    half = captured // 2 + 1  # two of these are more than the capture

    def ask(i: int) -> httpx.Response:
        return _refund(stack, operator_key, sid, half, f"rf-c{i}")

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(ask, range(4)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 422, 422, 422], [a.text for a in answers]
    assert _acquirer_refunds(stack, hold) == [half]


def test_only_an_operator_refunds_and_only_a_completed_session(
    stack: RunningStack, operator_key: str
) -> None:
    sid, key, _ = _session(stack, "F3", 103)
    as_terminal = _refund(stack, key, sid, 1, "rf-t")
    assert as_terminal.status_code == 401
    stack.wait_state(key, sid, {"charging"})
    running = _refund(stack, operator_key, sid, 1, "rf-r")
    assert running.status_code == 409 and running.json()["error"] == "session_not_final"
    stack.stop(key, sid)
    stack.wait_state(key, sid)
    unknown = _refund(stack, operator_key, "session-alpha-F3-nothing", 1, "rf-u")
    assert unknown.status_code == 404
    bad = stack.api.post(
        f"/v1/sessions/{sid}/refunds",
        json={"refund_key": "x", "amount": {"amount_minor": -1, "currency": "EUR"}},
        headers=auth(operator_key),
    )
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_request"


def test_an_acquirer_outage_is_retried_and_a_refusal_moves_nothing(
    stack: RunningStack, operator_key: str
) -> None:
    sid, _, hold, _ = _completed(stack, "F4", 105)
    with httpx.Client(base_url=stack.stack.payments_url, timeout=10) as acq:
        rules = [fault_rule("refund", "5xx", count=2)]
        acq.put("/_emulator/faults", json={"rules": rules}).raise_for_status()
        ok = _refund(stack, operator_key, sid, 2, "rf-o")
        assert ok.status_code == 200, ok.text
        assert _acquirer_refunds(stack, hold) == [2]
        rules = [fault_rule("refund", "4xx", count=1, status=400)]
        acq.put("/_emulator/faults", json={"rules": rules}).raise_for_status()
        refused = _refund(stack, operator_key, sid, 3, "rf-x")
        assert refused.status_code == 409 and refused.json()["error"] == "refund_refused"
        assert _acquirer_refunds(stack, hold) == [2]


def test_reconciliation_finds_a_refund_the_ledger_does_not_know(
    stack: RunningStack, operator_key: str
) -> None:
    since = datetime.now(UTC) - timedelta(seconds=5)
    sid, _, hold, _ = _completed(stack, "F5", 104)
    assert _refund(stack, operator_key, sid, 3, "rf-k").status_code == 200
    assert _refund_mismatches(stack, since) == []  # the ledger has the acquirer's refund
    # A refund made at the acquirer behind chargepay's back: no credit note for it.
    with httpx.Client(base_url=stack.stack.payments_url, timeout=10) as acq:
        body = {"amount_minor": 4, "currency": "EUR"}
        headers = {"Idempotency-Key": f"behind-the-back-{sid}"}
        r = acq.post(f"/v1/authorizations/{hold}/refunds", json=body, headers=headers)
        r.raise_for_status()
    (m,) = _refund_mismatches(stack, since)
    assert (m.authorization_id, m.expected_minor, m.actual_minor) == (hold, 3, 7)


def _refund_mismatches(stack: RunningStack, since: datetime) -> list[Any]:
    async def run() -> list[Any]:
        client = await Client.connect(
            stack.stack.temporal_address, data_converter=pydantic_data_converter
        )
        inp = ReconcileInput(
            operator="alpha",
            monta_task_queue="monta-alpha",
            window_from=since,
            window_to=datetime.now(UTC) + timedelta(seconds=2),
            time_scale=60.0,
            auto_void=False,
            hold_grace_s=0,
            report_dir=tempfile.mkdtemp(prefix="refund-reconcile-"),
        )
        report = await client.execute_workflow(
            ReconciliationWorkflow.run,
            inp,
            id=f"reconcile-refunds-{uuid.uuid4().hex[:8]}",
            task_queue=stack.stack.config.background_task_queue,
        )
        return [m for m in report.mismatches if m.kind == "refund_mismatch"]

    return asyncio.run(run())
