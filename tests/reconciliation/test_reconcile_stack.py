"""Reconciliation against the emulators: a clean run after real sessions finds nothing;
one planted mismatch of each kind is found, the orphan hold is voided and reported, and the
open hold of a session whose capture failed is reported and left open."""

from __future__ import annotations

import asyncio
import csv
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.monta.client import MontaClient
from activities.monta.models import Charge, GenericPaymentSession, StartChargeRequest
from activities.reconciliation.wiring import ensure_watchers
from core.money import Money
from core.operators import Operator
from observability import metrics
from settings import Settings
from tests.reconciliation.runs import reconcile
from tests.reconciliation.stubs import PlantedSession
from tests.support.acquirer import AcquirerEmulator, acquirer_emulator
from tests.support.monta_emulator import MontaEmulator, monta_emulator
from tests.watcher.inproc import chargepay_workers, make_operator, make_settings, start_paid_session
from workflows import search_attributes as sa
from workflows.contracts import SessionStatus
from workflows.reconciliation_models import KINDS, ReconcileReport

SCALE = 120.0
pytestmark = pytest.mark.timeout(240)


def eur(n: int) -> Money:
    return Money(amount_minor=n, currency="EUR")


async def completed_charge(
    emu: MontaEmulator, op: Operator, settings: Settings, point: int, pid: str
) -> dict[str, Any]:
    """A real Monta charge with some energy, stopped and completed."""
    async with MontaClient.from_operator(op, settings) as monta:
        charge = await monta.start_charge(
            StartChargeRequest(
                paying_team_id=op.default_paying_team_id,
                charge_point_id=point,
                kwh_limit=50,
                partner_external_id=pid,
                generic_payment_session=GenericPaymentSession(
                    provider="chargepay", external_id="P"
                ),
            )
        )
        await _until(monta, charge.id, lambda ch: (ch.consumed_kwh or 0) > 0)
        await monta.stop_charge(charge.id)
        done = await _until(monta, charge.id, lambda ch: ch.state == "completed")
    assert done.price is not None
    return {"id": charge.id, "price_minor": int(done.price * 100)}


async def _until(monta: MontaClient, charge_id: int, pred: Callable[[Charge], bool]) -> Charge:
    """Read the charge until `pred` holds (the test timeout bounds a broken run)."""
    for _ in range(10_000):
        charge = await monta.get_charge(charge_id)
        if pred(charge):
            return charge
        await asyncio.sleep(0.1)
    raise AssertionError(f"charge {charge_id} never got there")


async def plant(client: Client, queue: str, op: Operator, sid: str, **status: Any) -> None:
    outcome = SessionStatus(
        session_id=sid,
        operator=op.key,
        charge_point_id=1,
        terminal_id="T",
        state=status.pop("state", "completed"),
        **status,
    )
    attrs = TypedSearchAttributes([SearchAttributePair(sa.OPERATOR, op.key)])
    await client.execute_workflow(
        PlantedSession.run, outcome, id=sid, task_queue=queue, search_attributes=attrs
    )


def mismatch_counts() -> dict[str, float]:
    return {k: metrics.RECONCILIATION_MISMATCHES.labels(k)._value.get() for k in KINDS}


def hold(acq: AcquirerEmulator, amount: int = 1000) -> str:
    return acq.place_hold("T-plant", amount, "EUR")


def acq_post(acq: AcquirerEmulator, hold_id: str, action: str, body: dict[str, Any]) -> None:
    r = acq._client.post(
        f"/v1/authorizations/{hold_id}/{action}",
        json=body,
        headers={"Idempotency-Key": f"plant/{hold_id}/{action}"},
    )
    r.raise_for_status()


async def test_clean_run_then_one_mismatch_of_each_kind(
    temporal_env: WorkflowEnvironment, log_dir: Path
) -> None:
    client = temporal_env.client
    tmp = log_dir / f"reconcile-{uuid.uuid4().hex[:6]}"
    since = datetime.now(UTC) - timedelta(seconds=2)
    env = {"MONTA_EMU_EXTRA_POINTS": "6"}
    with (
        monta_emulator(log_dir, time_scale=SCALE, env=env) as emu,
        acquirer_emulator(log_dir, time_scale=SCALE) as acq,
    ):
        op = make_operator("alpha", rate_limit=1000)
        settings = make_settings(emu, acq)
        async with chargepay_workers(client, settings, [op]) as workers:
            await ensure_watchers(client, settings, workers.operators)
            handles = [
                await start_paid_session(client, workers, acq, op, cp, 300)
                for cp in (100001, 100002)
            ]
            outcomes = await asyncio.gather(*(h.result() for h in handles))
            assert [o.state for o in outcomes] == ["completed", "completed"]
            clean = await reconcile(client, op, settings, since, tmp)

            # ---- plant one mismatch of each kind
            pre = f"session-{op.key}-plant"
            stub_queue = f"stubs-{uuid.uuid4().hex[:6]}"
            async with Worker(client, task_queue=stub_queue, workflows=[PlantedSession]):
                x1 = await completed_charge(emu, op, settings, 100003, f"{pre}-nocap")
                h1 = hold(acq)
                acq_post(acq, h1, "void", {})
                await plant(
                    client,
                    stub_queue,
                    op,
                    f"{pre}-nocap",
                    charge_id=x1["id"],
                    authorization_id=h1,
                    authorized=eur(1000),
                )
                x2 = await completed_charge(emu, op, settings, 100004, f"{pre}-wrong")
                h2 = hold(acq)
                wrong = x2["price_minor"] - 7
                acq_post(acq, h2, "capture", {"amount_minor": wrong, "currency": "EUR"})
                await plant(
                    client,
                    stub_queue,
                    op,
                    f"{pre}-wrong",
                    charge_id=x2["id"],
                    authorization_id=h2,
                    authorized=eur(1000),
                    captured=eur(wrong),
                )
                h3 = hold(acq)
                await plant(
                    client,
                    stub_queue,
                    op,
                    f"{pre}-voided",
                    state="voided",
                    authorization_id=h3,
                    authorized=eur(1000),
                )
                x4 = await completed_charge(emu, op, settings, 100005, f"{pre}-ghost")
                h5 = hold(acq)
                acq_post(acq, h5, "capture", {"amount_minor": 100, "currency": "EUR"})
                await plant(
                    client,
                    stub_queue,
                    op,
                    f"{pre}-lost",
                    charge_id=987654,
                    authorization_id=h5,
                    authorized=eur(1000),
                    captured=eur(100),
                )
                # Its capture failed: the open hold is still worth the price.
                h6 = hold(acq)
                await plant(
                    client,
                    stub_queue,
                    op,
                    f"{pre}-capfail",
                    authorization_id=h6,
                    authorized=eur(1000),
                    price=eur(500),
                    attention="capture_failed: payment_unavailable",
                    reason="capture_failed",
                )
            counted_before = mismatch_counts()
            found = await reconcile(client, op, settings, since, tmp)
            counted = mismatch_counts()
            again = await reconcile(client, op, settings, since, tmp)
        h3_after, h6_after = acq.hold(h3), acq.hold(h6)
        await client.get_workflow_handle(f"watcher-{op.key}").terminate("test over")

    assert clean.mismatches == [], clean.mismatches
    assert clean.charges == 2 and clean.sessions == 2
    by_kind = {m.kind: m for m in found.mismatches}
    assert {k: found.count(k) for k in KINDS} == {
        "completed_without_capture": 1,
        "capture_mismatch": 1,
        "hold_open_after_session_end": 1,
        "capture_outstanding": 1,
        "charge_without_session": 1,
        "second_charge": 0,
        "session_without_charge": 1,
        "wallet_mismatch": 0,
        "refund_mismatch": 0,
        "hold_amount_mismatch": 0,
    }, found.mismatches
    assert by_kind["completed_without_capture"].charge_id == x1["id"]
    cm = by_kind["capture_mismatch"]
    assert (cm.expected_minor, cm.actual_minor) == (x2["price_minor"], wrong)
    orphan = by_kind["hold_open_after_session_end"]
    assert (orphan.authorization_id, orphan.action) == (h3, "voided")
    assert h3_after["status"] == "voided"
    # Never voided: an operator retries the capture or writes it off.
    outstanding = by_kind["capture_outstanding"]
    assert (outstanding.session_id, outstanding.authorization_id) == (f"{pre}-capfail", h6)
    assert outstanding.action == "report_only"
    assert h6_after["status"] == "open"
    assert again.count("capture_outstanding") == 1
    assert by_kind["charge_without_session"].charge_id == x4["id"]
    assert by_kind["session_without_charge"].session_id == f"{pre}-lost"
    # The alert's counter (the activity runs in this process) saw each finding once.
    assert {k: counted[k] - counted_before[k] for k in KINDS} == {k: found.count(k) for k in KINDS}
    # Voided once: the next run no longer sees an open hold.
    assert again.count("hold_open_after_session_end") == 0
    json_file, csv_file = (Path(p) for p in found.files)
    assert ReconcileReport.model_validate_json(json_file.read_text()) == found.model_copy(
        update={"files": []}
    )
    with csv_file.open() as fh:
        assert sorted(row["kind"] for row in csv.DictReader(fh)) == sorted(by_kind)
