"""A charge Monta has gone silent about. Webhooks and the watcher normally bring a reading
every meter interval; after `charge_silence_check_s` of charge time with nothing, the session
reads its charge once. Monta's answer goes into the view like any snapshot. A charge Monta no
longer knows flags the session for an operator and changes nothing else: Monta losing a
charge proves nothing about the car, so the hold is never voided on it (invariant I3).
Workflow code only.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ActivityError

from core.clock import Clock
from workflows.activity_errors import error_type
from workflows.contracts import (
    ERR_MONTA_CLIENT,
    MONTA_GET_CHARGE,
    ChargeRef,
    ChargeSnapshot,
    SessionRequest,
)
from workflows.session_attributes import flag
from workflows.session_calls import monta
from workflows.session_data import SessionData
from workflows.session_inbox import SessionInbox

# Monta's answers for an id it has no charge for.
NOT_FOUND_CODES = frozenset({"RESOURCE_NOT_FOUND", "CHARGE_NOT_FOUND"})


def silence_check_at(request: SessionRequest, data: SessionData) -> datetime | None:
    """When the charge counts as silent: a window after the last news or the last check."""
    if data.charge_id is None or data.last_signal_at is None:
        return None
    since = max(data.last_signal_at, data.silence_checked_at or data.last_signal_at)
    return since + Clock(request.config.time_scale).wall(request.config.charge_silence_check_s)


def or_silence_check(
    wake_at: datetime | None, request: SessionRequest, data: SessionData
) -> datetime | None:
    """The lifecycle's next wake-up, or the silence check if that comes first."""
    times = [t for t in (wake_at, silence_check_at(request, data)) if t is not None]
    return min(times, default=None)


async def check_if_silent(request: SessionRequest, data: SessionData, inbox: SessionInbox) -> None:
    """Read the charge once when it has been silent for the window; otherwise nothing."""
    due = silence_check_at(request, data)
    if due is None or workflow.now() < due:
        return
    assert data.charge_id is not None
    data.silence_checked_at = workflow.now()
    ref = ChargeRef(operator=request.operator, charge_id=data.charge_id)
    try:
        snapshot: ChargeSnapshot = await monta(
            request.config, MONTA_GET_CHARGE, ref, ChargeSnapshot, "read a silent charge"
        )
    except ActivityError as exc:
        flag_if_unknown(data, exc)
        return
    inbox.apply_snapshot(snapshot)


def flag_if_unknown(data: SessionData, exc: BaseException) -> None:
    """Flag the session once when Monta answered that it has no such charge."""
    kind, detail = error_type(exc)
    unknown = f"charge_unknown: Monta does not know charge {data.charge_id}"
    if kind == ERR_MONTA_CLIENT and detail in NOT_FOUND_CODES:
        if unknown not in (data.attention or ""):
            flag(data, unknown)
