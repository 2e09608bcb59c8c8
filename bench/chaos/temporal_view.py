"""What Temporal itself says about each session (not chargepay's logs or its API).

A closed workflow's result is its final `SessionStatus`; a running one is asked for its
status by query when a worker answers (only for the report; not final either way).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from codec.converter import build_data_converter
from settings import Settings
from workflows.contracts import FINAL_STATES, QUERY_STATUS, SessionStatus

RPC_TIMEOUT = timedelta(seconds=5)


@dataclass
class SessionView:
    session_id: str
    exists: bool
    workflow_status: str | None = None  # RUNNING, COMPLETED, FAILED, ...
    status: SessionStatus | None = None

    @property
    def final(self) -> bool:
        return (
            self.workflow_status == "COMPLETED"
            and self.status is not None
            and self.status.state in FINAL_STATES
        )

    def public(self) -> dict[str, Any]:
        return {
            "exists": self.exists,
            "workflow_status": self.workflow_status,
            "status": None if self.status is None else self.status.model_dump(mode="json"),
        }


async def connect(address: str) -> Client:
    settings = Settings()
    return await Client.connect(
        address,
        namespace=settings.temporal_namespace,
        data_converter=build_data_converter(settings),
    )


async def view(client: Client, session_id: str, query_running: bool = False) -> SessionView:
    handle = client.get_workflow_handle(session_id, result_type=SessionStatus)
    try:
        desc = await handle.describe(rpc_timeout=RPC_TIMEOUT)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return SessionView(session_id, exists=False)
        raise
    wf_status = desc.status.name if desc.status else None
    out = SessionView(session_id, exists=True, workflow_status=wf_status)
    try:
        if desc.status == WorkflowExecutionStatus.COMPLETED:
            out.status = await handle.result(rpc_timeout=RPC_TIMEOUT)
        elif desc.status == WorkflowExecutionStatus.RUNNING and query_running:
            out.status = await handle.query(
                QUERY_STATUS, result_type=SessionStatus, rpc_timeout=RPC_TIMEOUT
            )
    except Exception:  # no worker to answer the query right now: the report shows None
        pass
    return out


async def views(
    client: Client, session_ids: list[str], query_running: bool = False, parallel: int = 16
) -> list[SessionView]:
    gate = asyncio.Semaphore(parallel)

    async def one(sid: str) -> SessionView:
        async with gate:
            return await view(client, sid, query_running)

    return list(await asyncio.gather(*(one(s) for s in session_ids)))


async def wait_final(
    client: Client, session_ids: list[str], deadline: float, poll_s: float = 2.0
) -> dict[str, SessionView]:
    """Poll until every session is final or the monotonic `deadline` passes."""
    latest: dict[str, SessionView] = {}
    pending = list(session_ids)
    while True:
        try:
            for v in await views(client, pending):
                latest[v.session_id] = v
        except RPCError:
            pass  # Temporal briefly unavailable: look again
        pending = [s for s in session_ids if not (s in latest and latest[s].final)]
        if not pending or time.monotonic() >= deadline:
            return latest
        await asyncio.sleep(poll_s)
