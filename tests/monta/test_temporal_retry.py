"""A real Temporal worker retries a Monta start through injected 5xx answers: the workflow
gets one charge, and Monta (the emulator's truth) holds exactly one."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.monta.activities import MontaActivities
from tests.monta.conftest import alpha_client
from tests.support.monta_emulator import MontaEmulator
from workflows.contracts import MONTA_START_CHARGE, ChargeSnapshot, StartChargeInput
from workflows.contracts import PaymentSessionInfo as Payment

pytestmark = pytest.mark.integration


@workflow.defn(sandboxed=False)
class StartOnceWorkflow:
    @workflow.run
    async def run(self, req: StartChargeInput) -> ChargeSnapshot:
        return await workflow.execute_activity(
            MONTA_START_CHARGE,
            req,
            result_type=ChargeSnapshot,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(milliseconds=100),
                backoff_coefficient=1.0,
                maximum_attempts=5,
            ),
        )


async def test_worker_retries_a_start_through_5xx(
    temporal_env: WorkflowEnvironment, emu: MontaEmulator
) -> None:
    emu.set_faults([{"operation": "start-charge", "kind": "5xx", "count": 2}])
    pid = f"session-alpha-t9-{uuid.uuid4().hex[:8]}"
    req = StartChargeInput(
        operator="alpha", charge_point_id=102, paying_team_id=1001, partner_external_id=pid,
        kwh_limit=10, currency="EUR",
        payment_session=Payment(provider="chargepay", external_id="Z9"),
    )  # fmt: skip
    queue = f"monta-alpha-test-{uuid.uuid4().hex[:8]}"
    async with alpha_client(emu) as client:
        acts = MontaActivities(client, "major", tariff_ttl_s=60)
        async with Worker(
            temporal_env.client,
            task_queue=queue,
            workflows=[StartOnceWorkflow],
            activities=list(acts.activities()),
            workflow_runner=UnsandboxedWorkflowRunner(),
        ):
            snap = await temporal_env.client.execute_workflow(
                StartOnceWorkflow.run, req, id=pid, task_queue=queue
            )  # fmt: skip
        statuses = {s: n for (ep, s), n in client.metrics.requests.items() if ep == "start-charge"}
    truth = emu.truth()
    assert snap.partner_external_id == pid and snap.charge_point_id == 102
    assert [c["id"] for c in truth["charges"] if c["partnerExternalId"] == pid] == [snap.charge_id]
    assert truth["faults_fired"] == {"start-charge:5xx": 2}
    assert statuses == {"500": 2, "200": 1}
