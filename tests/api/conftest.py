"""API fixtures: the app in-process against the Temporal dev server with a stand-in workflow
(`api_app`), and the whole stack as processes for the integration tests (`stack`)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.main import create_app
from settings import Settings
from tests.api.stack import RunningStack, running_stack, worker_script
from tests.api.standin import StandInSession
from tests.api.support import DEV_ENV


@pytest.fixture(scope="module")
def dev_secrets() -> Iterator[None]:
    """Operator secrets from .env.example (load_operators reads them from the environment)."""
    with pytest.MonkeyPatch.context() as mp:
        for name, value in DEV_ENV.items():
            if name.endswith(("_CLIENT_SECRET", "_WEBHOOK_SECRETS")):
                mp.setenv(name, value)
        yield


@dataclass
class ApiHarness:
    http: httpx.AsyncClient
    settings: Settings
    keys_file: Path
    env: WorkflowEnvironment


@pytest_asyncio.fixture(scope="module")
async def api_app(
    temporal_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory, dev_secrets: None
) -> AsyncIterator[ApiHarness]:
    keys_file = tmp_path_factory.mktemp("keys") / "terminal_keys.json"
    settings = Settings(
        session_task_queue=f"api-test-{uuid.uuid4().hex[:8]}",
        terminal_keys_file=keys_file,
        api_start_wait_s=3.0,
        api_retention_check="off",
        webhook_max_body_bytes=50_000,
    )
    app = create_app(settings, temporal_client=temporal_env.client)
    async with Worker(
        temporal_env.client, task_queue=settings.session_task_queue, workflows=[StandInSession]
    ):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
            yield ApiHarness(http, settings, keys_file, temporal_env)


@pytest.fixture(scope="module")
def stack(log_dir: Path) -> Iterator[RunningStack]:
    """The real stack as processes (one per test module that uses it)."""
    if not worker_script().exists():
        pytest.skip("worker.py has not landed yet: the real stack cannot run sessions")
    with running_stack(log_dir, time_scale=60.0) as s:
        yield s
