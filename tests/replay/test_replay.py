"""Committed histories (one per final state) must replay: a non-deterministic change fails.

One generation: `histories/` holds bare starts (the session reads its tariff) and
`priced/` starts that carry the API's tariff, both recorded from the current code. Until the
first deployment, regenerate them (`python -m tests.replay.generate` and
`python -m tests.replay.generate --priced --into priced`) whenever a change alters the
session's steps; from the first deployment on they are frozen, and a change that breaks
their replay needs versioning (docs/upgrades.md).
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


GENERATIONS = [HISTORIES, HISTORIES / "priced"]


def _history(folder: Path, state: str) -> WorkflowHistory:
    path = folder / f"session_{state}.json"
    data = json.loads(path.read_text())
    started = data["events"][0]["workflowExecutionStartedEventAttributes"]
    workflow_id = started.get("workflowId") or f"replay-{state}"
    return WorkflowHistory.from_json(workflow_id, data)


@pytest.mark.parametrize("folder", GENERATIONS, ids=lambda p: p.name)
@pytest.mark.parametrize("state", sorted(SCENARIOS))
async def test_history_replays(folder: Path, state: str) -> None:
    replayer = Replayer(workflows=[ChargeSessionWorkflow], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(_history(folder, state))
    assert result.replay_failure is None


@pytest.mark.parametrize("folder", GENERATIONS, ids=lambda p: p.name)
def test_one_history_per_final_state(folder: Path) -> None:
    from workflows.contracts import FINAL_STATES

    assert {p.stem.removeprefix("session_") for p in folder.glob("session_*.json")} == set(
        FINAL_STATES
    )
