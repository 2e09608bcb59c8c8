"""Operator routes: act on a flagged session, read its status, list flagged sessions.

For the people who settle what a session could not settle on its own. Authenticated with
an operator key (never a terminal's); an operator sees and acts on its own sessions only.
The session decides whether an action is allowed; these routes carry it there and back.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query

from api.dependencies import State, Temporal
from api.errors import error_responses
from api.operator_auth import OperatorUser, require_operator_session
from api.operator_service import operator_query, send_action
from api.routers.sessions import SessionId
from api.schemas import OperatorActionBody, SessionPage
from api.session_service import get_status, list_sessions
from workflows.contracts import SessionStatus

router = APIRouter(prefix="/v1/operator/sessions", tags=["operator"])

ActionBody = Annotated[
    OperatorActionBody,
    Body(
        openapi_examples={
            "retry_capture": {
                "summary": "Capture the settled price again",
                "value": {
                    "action": "retry_capture",
                    "request_id": "op-0001",
                    "reason": "acquirer outage is over",
                },
            },
            "capture": {
                "summary": "Capture a given amount (at most the hold)",
                "value": {
                    "action": "capture",
                    "request_id": "op-0002",
                    "reason": "price agreed with the driver",
                    "amount": {"amount_minor": 1234, "currency": "EUR"},
                },
            },
            "void": {
                "summary": "Release the hold (no energy may flow)",
                "value": {"action": "void", "request_id": "op-0003", "reason": "no charge"},
            },
        }
    ),
]


@router.post(
    "/{session_id}/actions",
    response_model=SessionStatus,
    responses=error_responses(400, 401, 403, 404, 409, 422, 502, 503, 504),
    summary="Act on a session waiting for an operator (idempotent per request_id)",
    description=(
        "409 answers carry the session's refusal code in `error` (e.g. `not_waiting`, "
        "`energy_may_flow`), or `session_finished`."
    ),
)
async def act(
    session_id: SessionId,
    body: ActionBody,
    scope: OperatorUser,
    state: State,
    client: Temporal,
) -> SessionStatus:
    require_operator_session(scope, session_id)
    action = body.to_action(operator_user=scope.user)
    return await send_action(client, session_id, action, state.settings.api_start_wait_s)


@router.get(
    "/{session_id}",
    response_model=SessionStatus,
    responses=error_responses(401, 403, 404, 503),
    summary="A session's live status",
)
async def get_operator_session(
    session_id: SessionId, scope: OperatorUser, client: Temporal
) -> SessionStatus:
    require_operator_session(scope, session_id)
    return await get_status(client, session_id)


@router.get(
    "",
    response_model=SessionPage,
    responses=error_responses(401, 422, 503),
    summary="This operator's sessions, newest first (Temporal visibility)",
)
async def list_operator_sessions(
    scope: OperatorUser,
    client: Temporal,
    attention: Annotated[
        bool | None, Query(description="true: flagged for an operator; false: not flagged")
    ] = None,
    running: Annotated[bool | None, Query(description="true: still running")] = None,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    page_token: Annotated[str | None, Query(max_length=2000)] = None,
) -> SessionPage:
    query = operator_query(scope.operator, attention, running)
    return await list_sessions(client, query, page_size, page_token)
