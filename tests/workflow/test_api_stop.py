"""A stop the API sent for the session's kWh budget (api/charge_stopper.py): the session
reads Monta's marked answer as its own stop, records why and sends none itself."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

from tests.workflow.fakes import FakeWorld, now
from tests.workflow.harness import make_request, session_worker, state_trail, wait_status
from workflows import contracts as c
from workflows.session import ChargeSessionWorkflow
from workflows.session_models import SessionStatus
from workflows.session_start import start_session_and_wait_accepted

pytestmark = pytest.mark.timeout(120)


async def _stopped_by(
    mark: bool, temporal_env: WorkflowEnvironment
) -> tuple[SessionStatus, FakeWorld, WorkflowHistory]:
    world, client = FakeWorld(), temporal_env.client
    async with session_worker(client, world) as queue:
        accepted = await start_session_and_wait_accepted(client, make_request(500), queue)
        handle = client.get_workflow_handle_for(ChargeSessionWorkflow.run, accepted.session_id)
        base = now()

        def at(s: float) -> datetime:
            return base + timedelta(seconds=s)

        # 0.5 kWh per 0.3 wall s at 600x is 10 kW: the session's own stop is far off.
        for i, kwh in enumerate(("0.5", "1.0")):
            snap = world.set_charge(
                state="charging",
                started_at=base,
                consumed_kwh=Decimal(kwh),
                updated_at=at(0.3 * (i + 1)),
            )
            await handle.signal(c.SIGNAL_CHARGE_UPDATED, snap)
        await wait_status(handle, lambda s: s.consumed_kwh == Decimal("1.0"))
        # Monta's answer to a stop at 6.9 kWh: the charge winds down.
        answer = world.set_charge(state="stopping", consumed_kwh=Decimal("6.9"), updated_at=at(5))
        if mark:
            answer = answer.model_copy(update={"stop_sent_for": "kwh_budget"})
        await handle.signal(c.SIGNAL_CHARGE_UPDATED, answer)
        await wait_status(handle, lambda s: s.state == "stopping")
        done = world.set_charge(
            state="completed", completed_at=now(), price_minor=476, updated_at=at(6)
        )
        await handle.signal(c.SIGNAL_CHARGE_UPDATED, done)
        result: SessionStatus = await handle.result()
        assert await state_trail(handle) == [
            *("pricing", "authorizing", "starting", "charging"),
            *("stopping", "settling", "completed"),
        ]
        history = await handle.fetch_history()
    return result, world, history


async def test_a_marked_answer_is_the_sessions_own_budget_stop(
    temporal_env: WorkflowEnvironment,
) -> None:
    result, world, _ = await _stopped_by(True, temporal_env)
    assert result.state == "completed" and result.reason == "kwh_budget"
    assert world.names().count(c.MONTA_STOP_CHARGE) == 0  # the API's stop was the one
    assert result.captured is not None and result.captured.amount_minor == 476


async def test_without_the_mark_the_same_answer_is_a_stop_from_elsewhere(
    temporal_env: WorkflowEnvironment,
) -> None:
    result, world, _ = await _stopped_by(False, temporal_env)
    assert result.state == "completed" and result.reason != "kwh_budget"
    assert world.names().count(c.MONTA_STOP_CHARGE) == 0


async def test_code_that_ignores_the_mark_replays_the_history_it_made(
    temporal_env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker below code 4 drops the unknown field: its code takes the answer as a stop
    from elsewhere. Same commands, so a marked history replays on it (no nondeterminism)."""
    _, _, history = await _stopped_by(True, temporal_env)
    monkeypatch.setattr(ChargeSessionWorkflow, "_stop_sent_by_api", lambda self, snap: None)
    replayer = Replayer(
        workflows=[ChargeSessionWorkflow],
        data_converter=pydantic_data_converter,
        workflow_runner=UnsandboxedWorkflowRunner(),  # so the patched method is the one run
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None
