"""The start's outcome: the session's charge, or why there is none and whether that is
proven. A start whose outcome stays unknown means a charge may run, so the hold is kept and
the session keeps looking, never voiding on a guess (invariant I3).

It adopts the charge from the first snapshot Monta sends for the session (webhooks and the
watcher route by partnerExternalId = the session id), or from a lookup that finds it. A
lookup that answers "none" proves no charge exists. Until the capture deadline; after it the
session ends flagged and the hold is left to expire, since a charge may still run.
"""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import workflow

from core.clock import Clock
from workflows.contracts import ChargeSnapshot, SessionRequest
from workflows.session_attributes import flag
from workflows.session_data import SessionData
from workflows.session_deadlines import capture_deadline
from workflows.session_inbox import SessionInbox
from workflows.session_monta_calls import (
    StartOutcomeUnknown,
    StartRejected,
    find_charge,
    start_charge,
)


@dataclass(frozen=True)
class StartEnding:
    reason: str  # the session's `start_failed` reason
    no_charge: bool  # proven that no Monta charge exists: the hold may be voided


async def start_or_adopt(
    request: SessionRequest, data: SessionData, inbox: SessionInbox
) -> ChargeSnapshot | StartEnding:
    try:
        return await start_charge(request, data)
    except StartRejected as exc:
        data.last_error = exc.message
        return StartEnding(exc.code, no_charge=True)
    except StartOutcomeUnknown as exc:
        data.last_error = str(exc)
        data.start_outcome_unknown = True
        flag(data, "start_outcome_unknown: the lookup failed")
    found = await settle_unknown_start(request, data, inbox)
    if found is not None:
        return found
    if data.start_outcome_unknown:  # nothing learnt by the capture deadline: a charge may run
        return StartEnding("start_outcome_unknown", no_charge=False)
    return StartEnding("monta_unavailable", no_charge=True)


async def settle_unknown_start(
    request: SessionRequest, data: SessionData, inbox: SessionInbox
) -> ChargeSnapshot | None:
    """The session's charge, or None: `data.start_outcome_unknown` then says whether a
    lookup proved that none exists (False) or nothing could be learnt in time (True)."""
    assert data.authorization is not None
    session_id = workflow.info().workflow_id
    deadline = capture_deadline(data.authorization, request.config)
    interval = Clock(request.config.time_scale).wall(request.config.start_lookup_interval_s)
    while workflow.now() < deadline:
        early = inbox.early_snapshot(session_id)
        if early is not None:
            return early
        await inbox.wait_for(min(workflow.now() + interval, deadline))
        early = inbox.early_snapshot(session_id)
        if early is not None:
            return early
        try:
            found = await find_charge(request)
        except StartOutcomeUnknown as exc:
            data.last_error = str(exc)
            continue
        if found is not None:
            return found
        data.start_outcome_unknown = False  # Monta answered: no charge for this session
        return None
    return None
