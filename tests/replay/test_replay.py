"""Committed histories (one per final state) must replay: a non-deterministic change fails.

Regenerate with `python -m tests.replay.generate` only for an intended, versioned change.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.replay.scenarios import SCENARIOS
from workflows.session import ChargeSessionWorkflow

HISTORIES = Path(__file__).resolve().parents[1] / "fixtures" / "histories"


def _history(state: str) -> WorkflowHistory:
    path = HISTORIES / f"session_{state}.json"
    data = json.loads(path.read_text())
    started = data["events"][0]["workflowExecutionStartedEventAttributes"]
    workflow_id = started.get("workflowId") or f"replay-{state}"
    return WorkflowHistory.from_json(workflow_id, data)


@pytest.mark.parametrize("state", sorted(SCENARIOS))
async def test_history_replays(state: str) -> None:
    replayer = Replayer(workflows=[ChargeSessionWorkflow], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(_history(state))
    assert result.replay_failure is None


def test_one_history_per_final_state() -> None:
    from workflows.contracts import FINAL_STATES

    assert {p.stem.removeprefix("session_") for p in HISTORIES.glob("session_*.json")} == set(
        FINAL_STATES
    )
