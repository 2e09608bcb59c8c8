"""The Temporal side of the operator routes: send an action, list an operator's sessions.

The session decides whether an action is allowed (workflows/operator_actions.py, in the
update's validator); this module only translates its answer into HTTP terms.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from temporalio.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError
from api.session_service import describe_or_none, not_found
from workflows import contracts as c
from workflows import search_attributes as sa
from workflows.contracts import SessionStatus
from workflows.operator_actions import UPDATE_OPERATOR_ACTION, OperatorAction

# Refusal codes are snake_case (`not_waiting`, `amount_above_hold`). A failure typed with a
# Python exception name (e.g. `RuntimeError` from a session without the update handler) is
# not a refusal the operator can act on, so it is reported as a failure instead.
_REFUSAL_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def update_id(request_id: str) -> str:
    # Temporal answers a repeated update id with the first outcome while the session runs:
    # a retried request is deduplicated even before the session sees its request_id.
    return f"operator-action:{request_id}"


async def send_action(
    client: Client, session_id: str, action: OperatorAction, wait_s: float
) -> SessionStatus:
    handle = client.get_workflow_handle(session_id)
    try:
        return await handle.execute_update(
            UPDATE_OPERATOR_ACTION,
            action,
            id=update_id(action.request_id),
            result_type=SessionStatus,
            rpc_timeout=timedelta(seconds=wait_s),
        )
    except WorkflowUpdateFailedError as exc:
        raise _refused(session_id, action, exc) from exc
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        desc = await describe_or_none(handle)
        if desc is None:
            raise not_found(session_id) from exc
        status = desc.status.name if desc.status else None
        raise ApiError(
            409,
            "session_finished",
            f"session {session_id} has finished: nothing to act on",
            {"session_id": session_id, "workflow_status": status},
        ) from exc
    except WorkflowUpdateRPCTimeoutOrCancelledError as exc:
        raise ApiError(
            504,
            "session_busy",
            "the session did not answer in time; send the same request_id again for its answer",
            {"session_id": session_id, "request_id": action.request_id},
        ) from exc


def _refused(session_id: str, action: OperatorAction, exc: WorkflowUpdateFailedError) -> ApiError:
    cause = exc.cause
    details: dict[str, Any] = {
        "session_id": session_id,
        "action": action.action,
        "request_id": action.request_id,
    }
    if isinstance(cause, ApplicationError) and _REFUSAL_CODE.match(cause.type or ""):
        assert cause.type is not None
        return ApiError(409, cause.type, cause.message, details)
    return ApiError(502, "action_failed", f"session {session_id}: {cause or exc}", details)


def operator_query(operator: str, attention: bool | None, running: bool | None) -> str:
    """Values are validated (the key's operator, booleans) before they reach here."""
    parts = [f"WorkflowType = '{c.SESSION_WORKFLOW}'", f"{sa.OPERATOR.name} = '{operator}'"]
    if attention is not None:
        parts.append(f"{sa.ATTENTION.name} IS {'NOT ' if attention else ''}NULL")
    if running is not None:
        parts.append(f"ExecutionStatus {'=' if running else '!='} 'Running'")
    return " AND ".join(parts)
