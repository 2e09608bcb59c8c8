"""Terminal sessions: start (update-with-start), status, stop, list."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import JSONResponse

from api.auth import Terminal, forbid, require_charge_point, require_session_owner
from api.dependencies import Signals, State, Temporal, operator_of, require_hold_within_limit
from api.errors import ApiError, error_responses
from api.schemas import SessionAccepted, SessionPage, StartSessionBody, StateFilter, StopBody
from api.session_config import session_config
from api.session_service import (
    Pending,
    get_status,
    list_sessions,
    request_stop,
    start_session,
    visibility_query,
)
from api.session_start import session_id as session_workflow_id
from workflows.contracts import SessionRequest, SessionStatus, StopRequest

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])

SessionId = Annotated[
    str,
    Path(
        pattern=r"^session-[a-z0-9_]{1,32}-[A-Za-z0-9_.:]{1,64}-[A-Za-z0-9_.:]{1,64}$",
        openapi_examples={"session": {"value": "session-alpha-T1-tx_0001"}},
    ),
]
StartBody = Annotated[
    StartSessionBody,
    Body(
        openapi_examples={
            "card_present": {
                "summary": "A hold the terminal placed",
                "value": {
                    "terminal_transaction_id": "tx_0001",
                    "charge_point_id": 101,
                    "amount": {"amount_minor": 1500, "currency": "EUR"},
                    "card_brand": "VISA",
                    "card_last4": "4242",
                    "authorization_ref": "hold_0001",
                },
            },
            "card_not_present": {
                "summary": "A vault token to authorize",
                "value": {
                    "terminal_transaction_id": "tx_0002",
                    "charge_point_id": 101,
                    "amount": {"amount_minor": 1500, "currency": "EUR"},
                    "payment_token": "tok_visa",
                },
            },
        }
    ),
]

# A final state the start ended in -> (HTTP status, error code); a reason that names its
# own answer overrides its state's.
_START_FAILURES: dict[str, tuple[int, str]] = {
    "declined": (402, "payment_declined"),
    "start_failed": (409, "charge_point_unavailable"),
    "rejected": (422, "rejected"),
}
_REASON_FAILURES: dict[str, tuple[int, str]] = {
    # The hold pays for another session: nothing was started, the hold was not touched.
    "authorization_in_use": (409, "authorization_in_use"),
}


def _status_url(request: Request, session_id: str) -> str:
    return str(request.url_for("get_session", session_id=session_id).path)


def _start_answer(status: SessionStatus) -> SessionStatus:
    failure = _START_FAILURES.get(status.state)
    if failure is None:
        return status
    failure = _REASON_FAILURES.get(status.reason or "", failure)
    http, code = failure
    message = f"session {status.state}" + (f": {status.reason}" if status.reason else "")
    details: dict[str, Any] = {"reason": status.reason, "status": status.model_dump(mode="json")}
    raise ApiError(http, code, message, details)


@router.post(
    "",
    status_code=201,
    response_model=SessionStatus,
    responses={
        202: {"model": SessionAccepted, "description": "Still starting: poll status_url."},
        **error_responses(400, 401, 402, 403, 409, 422, 503),
    },
    summary="Start a paid session (answers once Monta accepted the start)",
)
async def start(
    body: StartBody,
    scope: Terminal,
    state: State,
    client: Temporal,
    signals: Signals,
    request: Request,
) -> Any:
    operator = operator_of(state, scope.operator)
    require_charge_point(scope, body.charge_point_id)
    require_hold_within_limit(operator, body.amount.amount_minor)
    session_request = SessionRequest(
        operator=scope.operator,
        terminal_id=scope.terminal_id,
        config=session_config(state.settings, operator, body.charge_point_id),
        **body.model_dump(exclude={"paying_team_id"}),
        paying_team_id=body.paying_team_id or operator.default_paying_team_id,
        tariff=await state.quotes.tariff_for_start(operator, body.charge_point_id),
    )
    with signals.starting(session_workflow_id(session_request)):
        outcome = await start_session(
            client,
            session_request,
            body.digest(),
            state.settings.session_task_queue,
            state.settings.api_start_wait_s,
        )
        if not isinstance(outcome, Pending):
            # Just answered from POST /charges: what the session has of its charge, now.
            signals.known(outcome)
    if isinstance(outcome, Pending):
        url = _status_url(request, outcome.session_id)
        accepted = SessionAccepted(session_id=outcome.session_id, status_url=url)
        return JSONResponse(accepted.model_dump(), status_code=202, headers={"Location": url})
    return _start_answer(outcome)


@router.get(
    "/{session_id}",
    name="get_session",
    response_model=SessionStatus,
    responses=error_responses(401, 403, 404, 503),
    summary="A session's live status",
)
async def get_session(session_id: SessionId, scope: Terminal, client: Temporal) -> SessionStatus:
    require_session_owner(scope, session_id)
    return await get_status(client, session_id)


@router.post(
    "/{session_id}/stop",
    response_model=SessionStatus,
    responses=error_responses(400, 401, 403, 404, 409, 422, 503, 504),
    summary="Ask the session to stop charging (idempotent)",
)
async def stop(
    session_id: SessionId,
    scope: Terminal,
    state: State,
    client: Temporal,
    body: Annotated[StopBody | None, Body()] = None,
) -> SessionStatus:
    require_session_owner(scope, session_id)
    reason = body.reason if body else "terminal"
    return await request_stop(
        client, session_id, StopRequest(reason=reason), state.settings.api_start_wait_s
    )


@router.get(
    "",
    response_model=SessionPage,
    responses=error_responses(401, 403, 422, 503),
    summary="This terminal's sessions, newest first (Temporal visibility)",
)
async def list_(
    scope: Terminal,
    client: Temporal,
    state: StateFilter | None = None,
    charge_point_id: Annotated[int | None, Query(gt=0, le=2**53)] = None,
    terminal_id: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_.:]{1,64}$")] = None,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    page_token: Annotated[str | None, Query(max_length=2000)] = None,
) -> SessionPage:
    if terminal_id is not None and terminal_id != scope.terminal_id:
        raise forbid("a terminal can only list its own sessions")
    query = visibility_query(scope.operator, scope.terminal_id, state, charge_point_id)
    return await list_sessions(client, query, page_size, page_token)
