"""The Temporal side of the session routes: start (update-with-start), status, stop, list.

Idempotency: the workflow id is the terminal's key (operator, terminal, transaction id);
the start stores a SHA-256 of the request body in the memo, and every later request with
that id is compared against it (workflows/idempotency.py), so the same id with another body
never joins a session. A running session compares in its update's validator, so a start
makes one call to Temporal; a finished one is read once (the id is never reused).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError
from api.schemas import SessionPage, SessionSummary
from api.session_start import session_id as session_workflow_id
from api.session_start import start_options
from workflows import contracts as c
from workflows import search_attributes as sa
from workflows.contracts import SessionRequest, SessionStatus
from workflows.idempotency import MEMO_DIGEST, REUSED_MESSAGE, reused

RPC_TIMEOUT = timedelta(seconds=10)
_TRANSIENT = (RPCStatusCode.CANCELLED, RPCStatusCode.DEADLINE_EXCEEDED)


@dataclass(frozen=True)
class Pending:
    """The start is under way; the answer took longer than the API waits."""

    session_id: str


def _handle(client: Client, session_id: str) -> WorkflowHandle[Any, SessionStatus]:
    return client.get_workflow_handle(session_id, result_type=SessionStatus)


async def describe_or_none(
    handle: WorkflowHandle[Any, Any],
) -> WorkflowExecutionDescription | None:
    try:
        return await handle.describe(rpc_timeout=RPC_TIMEOUT)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


async def _check_digest(desc: WorkflowExecutionDescription, digest: str) -> None:
    if reused(await desc.memo_value(MEMO_DIGEST, None), digest):
        raise ApiError(422, "idempotency_key_reused", REUSED_MESSAGE, {"session_id": desc.id})


async def _closed_status(handle: WorkflowHandle[Any, SessionStatus]) -> SessionStatus:
    """A finished session's status: its result (no worker needed), else the query."""
    try:
        return await handle.result(rpc_timeout=RPC_TIMEOUT)
    except WorkflowFailureError:
        pass
    try:
        return await handle.query(
            c.QUERY_STATUS, result_type=SessionStatus, rpc_timeout=RPC_TIMEOUT
        )
    except WorkflowQueryFailedError as exc:
        raise ApiError(502, "session_failed", f"session {handle.id} failed: {exc}") from exc


def _is_closed(desc: WorkflowExecutionDescription) -> bool:
    return desc.status not in (None, WorkflowExecutionStatus.RUNNING)


async def start_session(
    client: Client,
    request: SessionRequest,
    digest: str,
    task_queue: str,
    wait_s: float,
) -> SessionStatus | Pending:
    """Update-with-start: starts the session or joins the running one with this id; the
    update's validator refuses a request whose body differs from the start's."""
    op: WithStartWorkflowOperation[Any, SessionStatus] = WithStartWorkflowOperation(
        c.SESSION_WORKFLOW,
        request,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        memo={MEMO_DIGEST: digest},
        result_type=SessionStatus,
        **start_options(request, task_queue),
    )
    try:
        return await _update_with_start(client, op, digest, wait_s)
    except (
        WorkflowUpdateRPCTimeoutOrCancelledError,
        WorkflowAlreadyStartedError,
        WorkflowUpdateFailedError,
    ) as exc:
        await _read_start_outcome(op)
        return await _after_start_problem(
            _handle(client, session_workflow_id(request)), digest, exc
        )


async def _read_start_outcome(op: WithStartWorkflowOperation[Any, SessionStatus]) -> None:
    """The SDK also puts a failed start's error on the operation's handle: read it, or
    asyncio logs it at ERROR ("Future exception was never retrieved") on every idempotent
    retry of a finished session. Each error start_session handles comes once that handle is
    settled, so this never waits."""
    with contextlib.suppress(Exception):  # the error the caller is already handling
        await op.workflow_handle()


async def _update_with_start(
    client: Client, op: WithStartWorkflowOperation[Any, SessionStatus], digest: str, wait_s: float
) -> SessionStatus:
    """Both phases (accepted, then completed) share one wait budget; the RPC deadline ends
    the wait without cancelling anything on the server."""
    deadline = time.monotonic() + wait_s
    update = await client.start_update_with_start_workflow(
        c.UPDATE_WAIT_ACCEPTED,
        digest,
        start_workflow_operation=op,
        wait_for_stage=WorkflowUpdateStage.ACCEPTED,
        result_type=SessionStatus,
        rpc_timeout=timedelta(seconds=wait_s),
    )
    remaining = max(0.1, deadline - time.monotonic())
    result: SessionStatus = await update.result(rpc_timeout=timedelta(seconds=remaining))
    return result


async def _after_start_problem(
    handle: WorkflowHandle[Any, SessionStatus], digest: str, exc: BaseException
) -> SessionStatus | Pending:
    """Timed out, the id's session has finished (never reused), the body differs from the
    start's (the validator refused), or the update lost to the workflow ending."""
    desc = await describe_or_none(handle)
    if desc is None:
        raise ApiError(503, "temporal_unavailable", f"the session did not start: {exc}")
    await _check_digest(desc, digest)
    if _is_closed(desc):
        return await _closed_status(handle)
    if isinstance(exc, WorkflowUpdateFailedError):
        raise ApiError(502, "session_failed", f"session {handle.id}: {exc.cause or exc}")
    return Pending(handle.id)


async def get_status(client: Client, session_id: str) -> SessionStatus:
    handle = _handle(client, session_id)
    try:
        return await handle.query(
            c.QUERY_STATUS, result_type=SessionStatus, rpc_timeout=RPC_TIMEOUT
        )
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise not_found(session_id) from exc
        if exc.status in _TRANSIENT:  # no worker answered the query in time
            raise ApiError(503, "session_busy", "the session did not answer in time") from exc
        raise
    except WorkflowQueryFailedError as exc:
        desc = await describe_or_none(handle)
        if desc is not None and _is_closed(desc):
            return await _closed_status(handle)
        raise ApiError(502, "session_failed", f"status of {session_id}: {exc}") from exc


def not_found(session_id: str) -> ApiError:
    return ApiError(404, "session_not_found", f"no session {session_id}")


async def request_stop(
    client: Client, session_id: str, stop: c.StopRequest, wait_s: float
) -> SessionStatus:
    handle = _handle(client, session_id)
    try:
        return await handle.execute_update(
            c.UPDATE_REQUEST_STOP,
            stop,
            result_type=SessionStatus,
            rpc_timeout=timedelta(seconds=wait_s),
        )
    except WorkflowUpdateFailedError as exc:
        # The validator refuses once the session is settling or over: report where it is.
        status = await get_status(client, session_id)
        if status.state in c.FINAL_STATES or status.state == "settling":
            return status
        raise ApiError(409, "stop_rejected", str(exc.cause or exc), status) from exc
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        desc = await describe_or_none(handle)
        if desc is None:
            raise not_found(session_id) from exc
        return await _closed_status(handle)
    except WorkflowUpdateRPCTimeoutOrCancelledError as exc:
        raise ApiError(504, "session_busy", "the session did not answer the stop in time") from exc


# ---------------------------------------------------------------- list (visibility)
def visibility_query(
    operator: str,
    terminal_id: str,
    state: str | None = None,
    charge_point_id: int | None = None,
) -> str:
    """Values are validated (patterns, ints) before they reach here: no quoting issues."""
    parts = [
        f"WorkflowType = '{c.SESSION_WORKFLOW}'",
        f"{sa.OPERATOR.name} = '{operator}'",
        f"{sa.TERMINAL_ID.name} = '{terminal_id}'",
    ]
    if state is not None:
        parts.append(f"{sa.SESSION_STATE.name} = '{state}'")
    if charge_point_id is not None:
        parts.append(f"{sa.CHARGE_POINT_ID.name} = {int(charge_point_id)}")
    return " AND ".join(parts)


_TOKEN_CHECK = 8  # bytes of SHA-256 in front of Temporal's token: garbage never reaches it


def _encode_token(raw: bytes) -> str:
    framed = hashlib.sha256(raw).digest()[:_TOKEN_CHECK] + raw
    return base64.urlsafe_b64encode(framed).decode().rstrip("=")


def _decode_token(token: str | None) -> bytes | None:
    if not token:
        return None
    bad = ApiError(422, "invalid_request", "page_token is not a token this API issued")
    try:
        framed = base64.urlsafe_b64decode(token.encode("ascii") + b"==")
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise bad from exc
    check, raw = framed[:_TOKEN_CHECK], framed[_TOKEN_CHECK:]
    if not raw or hashlib.sha256(raw).digest()[:_TOKEN_CHECK] != check:
        raise bad
    return raw


async def list_sessions(
    client: Client, query: str, page_size: int, page_token: str | None
) -> SessionPage:
    token = _decode_token(page_token)
    it = client.list_workflows(
        query, page_size=page_size, next_page_token=token, rpc_timeout=RPC_TIMEOUT
    )
    try:
        await it.fetch_next_page()
    except RPCError as exc:
        transient = (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED)
        if token is not None and exc.status not in transient:
            raise ApiError(422, "invalid_request", "page_token is no longer valid") from exc
        raise
    rows = [_summary(wf) for wf in it.current_page or []]
    nxt = it.next_page_token
    return SessionPage(sessions=rows, next_page_token=_encode_token(nxt) if nxt else None)


def _summary(wf: Any) -> SessionSummary:
    attrs = wf.typed_search_attributes
    return SessionSummary(
        session_id=wf.id,
        state=attrs.get(sa.SESSION_STATE),
        operator=attrs.get(sa.OPERATOR),
        terminal_id=attrs.get(sa.TERMINAL_ID),
        charge_point_id=attrs.get(sa.CHARGE_POINT_ID),
        charge_id=attrs.get(sa.MONTA_CHARGE_ID),
        card_last4=attrs.get(sa.CARD_LAST4),
        attention=attrs.get(sa.ATTENTION),
        workflow_status=wf.status.name if wf.status else None,
        started_at=wf.start_time,
        closed_at=wf.close_time,
    )
