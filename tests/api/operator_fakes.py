"""A fake Temporal client for the operator routes: sessions by id, their update outcomes,
and the visibility queries asked, in the shapes the SDK raises them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from fastapi import FastAPI
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.main import create_app
from settings import Settings
from workflows import contracts as c
from workflows import search_attributes as sa
from workflows.contracts import SessionStatus
from workflows.operator_actions import UPDATE_OPERATOR_ACTION


def status_of(session_id: str, state: str = "settling", **extra: Any) -> SessionStatus:
    _, operator, terminal, _ = session_id.split("-", 3)
    fields: dict[str, Any] = {
        "session_id": session_id,
        "state": state,
        "operator": operator,
        "charge_point_id": 101,
        "terminal_id": terminal,
    }
    return SessionStatus.model_validate({**fields, **extra})


@dataclass
class FakeSession:
    status: SessionStatus
    closed: bool = False
    refusal: tuple[str, str] | None = None  # (code, message) the validator answers with
    failure: BaseException | None = None  # any other exception execute_update raises


@dataclass
class FakeTemporal:
    sessions: dict[str, FakeSession] = field(default_factory=dict)
    unreachable: bool = False
    updates: list[tuple[str, str, Any, str | None]] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    listed: list[Any] = field(default_factory=list)

    def add(self, session_id: str, **kwargs: Any) -> FakeSession:
        session = FakeSession(status_of(session_id), **kwargs)
        self.sessions[session_id] = session
        return session

    def get_workflow_handle(self, workflow_id: str, **_: Any) -> FakeHandle:
        return FakeHandle(self, workflow_id)

    def list_workflows(self, query: str, **_: Any) -> FakeListing:
        self._check()
        self.queries.append(query)
        return FakeListing(self.listed)

    def _check(self) -> None:
        if self.unreachable:
            raise RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b"")

    def as_client(self) -> Client:
        return self  # type: ignore[return-value]


def _not_found(what: str) -> RPCError:
    return RPCError(what, RPCStatusCode.NOT_FOUND, b"")


@dataclass
class FakeHandle:
    temporal: FakeTemporal
    id: str

    def _session(self) -> FakeSession:
        self.temporal._check()
        session = self.temporal.sessions.get(self.id)
        if session is None:
            raise _not_found(f"workflow not found for ID: {self.id}")
        return session

    async def execute_update(
        self, name: str, arg: Any, *, id: str | None = None, **_: Any
    ) -> SessionStatus:
        session = self._session()
        if session.closed:
            raise _not_found("workflow execution already completed")
        assert name == UPDATE_OPERATOR_ACTION
        self.temporal.updates.append((self.id, name, arg, id))
        if session.refusal is not None:
            code, message = session.refusal
            raise WorkflowUpdateFailedError(ApplicationError(message, type=code))
        if session.failure is not None:
            raise session.failure
        return session.status

    async def describe(self, **_: Any) -> Any:
        session = self._session()
        closed = WorkflowExecutionStatus.COMPLETED
        return SimpleNamespace(
            id=self.id, status=closed if session.closed else WorkflowExecutionStatus.RUNNING
        )

    async def query(self, name: str, **_: Any) -> SessionStatus:
        assert name == c.QUERY_STATUS
        return self._session().status


class FakeListing:
    def __init__(self, rows: list[Any]) -> None:
        self.current_page: list[Any] | None = None
        self.next_page_token: bytes | None = None
        self._rows = rows

    async def fetch_next_page(self) -> None:
        self.current_page = self._rows


def visibility_row(session_id: str, attention: str | None) -> Any:
    attrs = {sa.OPERATOR: session_id.split("-")[1], sa.SESSION_STATE: "settling"}
    if attention is not None:
        attrs[sa.ATTENTION] = attention
    return SimpleNamespace(
        id=session_id,
        typed_search_attributes=attrs,
        status=WorkflowExecutionStatus.RUNNING,
        start_time=datetime(2026, 1, 1, tzinfo=UTC),
        close_time=None,
    )


def operator_app(tmp_path: Path, temporal: FakeTemporal | None) -> tuple[FastAPI, Settings]:
    settings = Settings(
        terminal_keys_file=tmp_path / "terminal_keys.json",
        operator_keys_file=tmp_path / "operator_keys.json",
        api_retention_check="off",
        api_start_wait_s=2.0,
    )
    client = temporal.as_client() if temporal is not None else None
    return create_app(settings, temporal_client=client), settings
