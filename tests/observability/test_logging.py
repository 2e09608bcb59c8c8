"""JSON log lines: context from bind(), Temporal workflow/activity identity, no card data."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from observability.logging import bind, configure_logging
from tests.observability import flows
from tests.observability.support import connect, running_worker

log = logging.getLogger("chargepay.tests.observability")


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Root logging to a buffer for one test, restored afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    configure_logging("test-svc", "INFO", "json", stream=stream)
    try:
        yield stream
    finally:
        for h in list(root.handlers):
            root.removeHandler(h)
        for h in saved[0]:
            root.addHandler(h)
        root.setLevel(saved[1])


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_bound_context_and_extras_are_fields(captured: io.StringIO) -> None:
    with bind(session_id="session-alpha-T1-x", monta_charge_id=77):
        log.info("webhook for %s", "charge", extra={"operator": "alpha"})
    log.info("outside")
    first, second = lines(captured)
    assert first["message"] == "webhook for charge"
    assert first["service"] == "test-svc"
    assert first["level"] == "info"
    assert (first["session_id"], first["monta_charge_id"], first["operator"]) == (
        "session-alpha-T1-x",
        77,
        "alpha",
    )
    assert "session_id" not in second and "monta_charge_id" not in second


def test_no_card_number_in_message_extras_or_traceback(captured: io.StringIO) -> None:
    try:
        raise ValueError("bad card 4111 1111 1111 1111")
    except ValueError:
        log.exception("payload %s", {"pan": "5555555555554444"}, extra={"raw": "4000000000000002"})
    out = captured.getvalue()
    for pan in ("4111 1111 1111 1111", "4111111111111111", "5555555555554444", "4000000000000002"):
        assert pan not in out
    (line,) = lines(captured)
    assert "[PAN ****4444]" in line["message"]
    assert line["raw"] == "[PAN ****0002]"
    assert "ValueError: bad card [PAN ****1111]" in line["exc"]


def test_text_format_is_redacted_too() -> None:
    stream = io.StringIO()
    handler = configure_logging("svc", "INFO", "text", stream=stream)
    try:
        log.warning("token %s", "4111111111111111")
    finally:
        logging.getLogger().removeHandler(handler)
    assert "4111111111111111" not in stream.getvalue()
    assert "[PAN ****1111]" in stream.getvalue()


async def test_workflow_and_activity_lines_carry_session_and_charge(
    temporal_env: WorkflowEnvironment, captured: io.StringIO
) -> None:
    client = await connect(temporal_env)
    wid = f"session-alpha-T1-{uuid.uuid4().hex[:8]}"
    async with running_worker(client, [flows.LogWorkflow], [flows.log_activity]) as queue:
        handle = await client.start_workflow(flows.LogWorkflow.run, 4242, id=wid, task_queue=queue)
        assert await handle.result() == "hi"
    ours = [r for r in lines(captured) if r.get("workflow_id") == wid]
    wf_line = next(r for r in ours if r["message"] == "workflow says hello")
    act_line = next(r for r in ours if r["message"] == "activity says hi")
    for line in (wf_line, act_line):
        assert line["session_id"] == wid
        assert line["run_id"] == handle.result_run_id
    assert wf_line["monta_charge_id"] == 4242
    assert wf_line["workflow_type"] == "ObsLogWorkflow"
    assert act_line["activity_type"] == "obs_log_activity"
    assert act_line["attempt"] == 1
