"""How callers (the API, tests, scripts) start a session: id, policies, summary, attributes.

The workflow id is the terminal's idempotency key; a closed id is never reused (the terminal
retrying a finished transaction gets the existing session, not a second charge), and a
running one is joined (update-with-start answers a retried request from the same run).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from temporalio.client import Client, WithStartWorkflowOperation, WorkflowHandle
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)

from workflows import contracts as c
from workflows import search_attributes as sa
from workflows.contracts import SessionRequest, SessionStatus
from workflows.session import ChargeSessionWorkflow


def session_id(request: SessionRequest) -> str:
    return c.session_workflow_id(
        request.operator, request.terminal_id, request.terminal_transaction_id
    )


def static_summary(request: SessionRequest) -> str:
    """What an operator sees in the UI's list, e.g. "CP 21 · 50.00 EUR hold". No card: the
    summary never changes, and the terminal's word on the card is not the acquirer's (the
    CardLast4 search attribute takes the acquirer's once the hold is verified)."""
    return f"CP {request.charge_point_id} · {request.amount} hold"


def initial_search_attributes(
    request: SessionRequest, now: datetime | None = None
) -> TypedSearchAttributes:
    """What the UI's list and the alerts read from the first moment: the state the session
    begins in and since when (`now`, default the caller's clock), so the session needs no
    upsert of its own before its first step."""
    pairs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(sa.SESSION_STATE, request.first_state()),
        SearchAttributePair(sa.OPERATOR, request.operator),
        SearchAttributePair(sa.CHARGE_POINT_ID, request.charge_point_id),
        SearchAttributePair(sa.TERMINAL_ID, request.terminal_id),
        SearchAttributePair(sa.STATE_SINCE, now or datetime.now(UTC)),
    ]
    if request.card_last4:
        pairs.append(SearchAttributePair(sa.CARD_LAST4, request.card_last4))
    return TypedSearchAttributes(pairs)


def start_options(request: SessionRequest, task_queue: str) -> dict[str, Any]:
    """Keyword arguments for `Client.start_workflow` / `WithStartWorkflowOperation`."""
    return {
        "id": session_id(request),
        "task_queue": task_queue,
        "id_reuse_policy": WorkflowIDReusePolicy.REJECT_DUPLICATE,
        "static_summary": static_summary(request),
        "search_attributes": initial_search_attributes(request),
    }


async def start_session(
    client: Client, request: SessionRequest, task_queue: str
) -> WorkflowHandle[ChargeSessionWorkflow, SessionStatus]:
    return await client.start_workflow(
        ChargeSessionWorkflow.run, request, **start_options(request, task_queue)
    )


async def start_session_and_wait_accepted(
    client: Client, request: SessionRequest, task_queue: str
) -> SessionStatus:
    """Update-with-start: returns once Monta accepted the start or the session failed.

    A retried request for a running session joins it (USE_EXISTING) and gets the same answer.
    """
    op = WithStartWorkflowOperation(
        ChargeSessionWorkflow.run,
        request,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        **start_options(request, task_queue),
    )
    status: SessionStatus = await client.execute_update_with_start_workflow(
        c.UPDATE_WAIT_ACCEPTED, start_workflow_operation=op, result_type=SessionStatus
    )
    return status
