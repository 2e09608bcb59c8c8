"""Small workflows and activities that exercise the observability code on a real worker.

`FakeSession` registers under the real session workflow's name so the worker interceptor
treats it as a session: it sets SessionState, runs a payment and a stop activity, and ends
with the status it was given (or waits for `finish` first).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    import httpx

    from workflows import contracts as c
    from workflows import search_attributes as sa
    from workflows.contracts import SessionStatus

TIMEOUT = timedelta(seconds=30)
HOLD_LEFT = timedelta(hours=2)
plain_log = logging.getLogger("chargepay.tests.observability")


@activity.defn(name="obs_log_activity")
async def log_activity(note: str) -> str:
    plain_log.info("activity says %s", note)
    return note


@activity.defn(name=c.PAYMENTS_CAPTURE)
async def fake_capture(ref: c.ChargeRef) -> str:
    return f"captured {ref.charge_id}"


@activity.defn(name=c.MONTA_STOP_CHARGE)
async def fake_stop(ref: c.ChargeRef) -> str:
    return f"stopped {ref.charge_id}"


@activity.defn(name="obs_http_get")
async def http_get(url: str) -> int:
    async with httpx.AsyncClient(timeout=10) as client:
        return (await client.get(url)).status_code


@workflow.defn(name="ObsLogWorkflow")
class LogWorkflow:
    @workflow.run
    async def run(self, charge_id: int) -> str:
        workflow.upsert_search_attributes([sa.MONTA_CHARGE_ID.value_set(charge_id)])
        workflow.logger.info("workflow says hello")
        return await workflow.execute_activity(log_activity, "hi", start_to_close_timeout=TIMEOUT)


@workflow.defn(name=c.SESSION_WORKFLOW)
class FakeSession:
    def __init__(self) -> None:
        self.done = False

    @workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflow.run
    async def run(self, status: SessionStatus, wait: bool) -> SessionStatus:
        workflow.upsert_search_attributes(
            [
                sa.SESSION_STATE.value_set("charging"),
                sa.STATE_SINCE.value_set(workflow.now()),
                sa.HOLD_EXPIRES_AT.value_set(workflow.now() + HOLD_LEFT),
            ]
        )
        ref = c.ChargeRef(operator=status.operator, charge_id=status.charge_id or 0)
        await workflow.execute_activity(fake_stop, ref, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(fake_capture, ref, start_to_close_timeout=TIMEOUT)
        if wait:
            await workflow.wait_condition(lambda: self.done)
        workflow.upsert_search_attributes([sa.SESSION_STATE.value_set(status.state)])
        return status


@workflow.defn(name="ObsTracedWorkflow")
class TracedWorkflow:
    @workflow.run
    async def run(self, url: str) -> int:
        return await workflow.execute_activity(http_get, url, start_to_close_timeout=TIMEOUT)
