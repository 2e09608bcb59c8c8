"""The whole stack as processes on free ports, as a plain context manager (tests, benchmarks).

with running_stack(log_dir, time_scale=60) as s:
    key = s.new_key("T1", [101])
    hold = s.place_hold("T1", 1500, "EUR")
    s.api.post("/v1/sessions", json=..., headers=auth(key))
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
from temporalio.client import Client, WorkflowHandle

from api.keys import create_key
from devstack.stack import Stack, StackConfig, StackPorts
from tests.api.support import auth
from tests.support.processes import REPO
from tests.workflow.harness import state_trail, upserts_and_markers
from workflows.contracts import FINAL_STATES

T = TypeVar("T")

APPROVED_CARD = "4242424242424242"


@dataclass
class RunningStack:
    stack: Stack
    api: httpx.Client

    def new_key(self, terminal: str, cps: Sequence[int], operator: str = "alpha") -> str:
        return create_key(self.stack.config.keys_file, operator, terminal, list(cps))[1]

    def place_hold(
        self, terminal: str, amount_minor: int, currency: str = "EUR", card: str = APPROVED_CARD
    ) -> str:
        body = {
            "terminal_id": terminal,
            "amount_minor": amount_minor,
            "currency": currency,
            "card_number": card,
        }
        resp = httpx.post(f"{self.stack.payments_url}/v1/terminal/holds", json=body, timeout=10)
        resp.raise_for_status()
        return str(resp.json()["authorization_ref"])

    def monta_truth(self) -> Any:
        return httpx.get(f"{self.stack.monta_url}/_emulator/truth", timeout=10).json()

    def acquirer_truth(self) -> Any:
        return httpx.get(f"{self.stack.payments_url}/_emulator/truth", timeout=10).json()

    def activities_of(self, session_id: str) -> list[str]:
        """The activity types a session scheduled, from its history (local ones excluded)."""

        async def scheduled(handle: WorkflowHandle[Any, Any]) -> list[str]:
            return [
                e.activity_task_scheduled_event_attributes.activity_type.name
                async for e in handle.fetch_history_events()
                if e.HasField("activity_task_scheduled_event_attributes")
            ]

        return asyncio.run(self._read(session_id, scheduled))

    def state_trail_of(self, session_id: str) -> list[str | None]:
        """SessionState at the start, then every upsert of it (tests/workflow/harness)."""
        return asyncio.run(self._read(session_id, state_trail))

    def upserts_and_markers_of(self, session_id: str) -> tuple[list[str], list[str]]:
        return asyncio.run(self._read(session_id, upserts_and_markers))

    async def _read(
        self, session_id: str, read: Callable[[WorkflowHandle[Any, Any]], Awaitable[T]]
    ) -> T:
        client = await Client.connect(self.stack.temporal_address)
        return await read(client.get_workflow_handle(session_id))

    def start(self, key: str, body: Mapping[str, Any]) -> httpx.Response:
        return self.api.post("/v1/sessions", json=dict(body), headers=auth(key))

    def stop(self, key: str, session_id: str, reason: str = "terminal") -> httpx.Response:
        url = f"/v1/sessions/{session_id}/stop"
        return self._retry(lambda: self.api.post(url, json={"reason": reason}, headers=auth(key)))

    def status(self, key: str, session_id: str) -> Any:
        url = f"/v1/sessions/{session_id}"
        resp = self._retry(lambda: self.api.get(url, headers=auth(key)))
        resp.raise_for_status()
        return resp.json()

    @staticmethod
    def _retry(call: Callable[[], httpx.Response], attempts: int = 10) -> httpx.Response:
        """Retry 503/504 (a busy worker on a loaded machine), as a terminal would."""
        resp = call()
        for _ in range(attempts - 1):
            if resp.status_code not in (503, 504):
                break
            time.sleep(1.0)
            resp = call()
        return resp

    def wait_state(
        self,
        key: str,
        session_id: str,
        states: set[str] | frozenset[str] = FINAL_STATES,
        timeout_s: float = 240.0,
    ) -> Any:
        """Poll the status until it reaches one of `states` (a bound, not a timed assertion)."""
        deadline = time.monotonic() + timeout_s
        status: Any = None
        while time.monotonic() < deadline:
            self.stack.check_alive()
            status = self.status(key, session_id)
            if status["state"] in states:
                return status
            time.sleep(0.25)
        raise TimeoutError(f"{session_id} still {status and status['state']} after {timeout_s}s")


def hold_start_body(hold: str, cp: int, amount_minor: int = 1500, **extra: Any) -> dict[str, Any]:
    """A terminal's start for a card-present hold it placed (a fresh transaction id)."""
    return {
        "terminal_transaction_id": f"tx_{uuid.uuid4().hex[:10]}",
        "charge_point_id": cp,
        "amount": {"amount_minor": amount_minor, "currency": "EUR"},
        "authorization_ref": hold,
        **extra,
    }


def worker_script() -> Path:
    """The repo's worker.py; CHARGEPAY_STACK_WORKER points at another entry point."""
    return Path(os.environ.get("CHARGEPAY_STACK_WORKER", str(REPO / "worker.py")))


@contextmanager
def running_stack(
    log_dir: Path | None = None,
    *,
    time_scale: float = 60.0,
    env: Mapping[str, str] | None = None,
    monta_env: Mapping[str, str] | None = None,
    **shape: Any,
) -> Iterator[RunningStack]:
    """Temporal dev server + both emulators + worker + API, each a process on a free port.
    `shape`: more StackConfig fields (worker_processes, api_processes, ingress, ...)."""
    data_dir = Path(tempfile.mkdtemp(prefix="chargepay-stack-", dir=log_dir))
    config = StackConfig(
        data_dir=data_dir,
        ports=StackPorts.free(),
        time_scale=time_scale,
        env={"CHARGEPAY_API_START_WAIT_S": "20", **(env or {})},
        monta_env=dict(monta_env or {}),
        worker_script=worker_script(),
        **{"headless_ui": True, **shape},
    )
    with Stack(config) as stack, httpx.Client(base_url=stack.api_url, timeout=60) as api:
        yield RunningStack(stack, api)
