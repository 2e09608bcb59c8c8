"""Committed histories (one per final state) must replay: a non-deterministic change fails.

`histories/` holds the current code's bare starts (the session reads its tariff) and
`priced/` its starts that carry the API's tariff; every other subdirectory keeps an older
generation that sessions still running at an upgrade could have (`before-state-times/`,
recorded before the `state-since-and-hold-expiry` patch; `priced-started-in-pricing/`,
priced starts from before the API started them in `authorizing`; `bare-patch-asked/` and
`priced-patch-asked/`, starts from before the starter set StateSince, whose sessions asked
the patch and upserted `TemporalChangeVersion`). Regenerate a folder with
`python -m tests.replay.generate [--priced] [--into DIR]` only for an intended, versioned
change, after moving its previous generation into a subdirectory.
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


GENERATIONS = [HISTORIES, *sorted(p for p in HISTORIES.iterdir() if p.is_dir())]


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
