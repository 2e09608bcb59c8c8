"""The committed SessionRecordsWorkflow history must replay (tests/replay/records.py makes
it): a non-deterministic change to refunds or corrections fails here."""

from __future__ import annotations

import json

from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.replay.records import HISTORY
from workflows.session_records import SessionRecordsWorkflow


async def test_the_records_history_replays() -> None:
    data = json.loads(HISTORY.read_text())
    started = data["events"][0]["workflowExecutionStartedEventAttributes"]
    history = WorkflowHistory.from_json(started.get("workflowId") or "records", data)
    replayer = Replayer(workflows=[SessionRecordsWorkflow], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history)
    assert result.replay_failure is None
