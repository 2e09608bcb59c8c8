"""Sending the session's stop, and sending it again while Monta has not confirmed it.

Monta's stop is idempotent, so a stop that failed or timed out is simply sent again (every
`stop_retry_interval_s`) until Monta answers it or reports the charge ending; a stop never
fails the session. Workflow code only.
"""

from __future__ import annotations

from datetime import datetime

from temporalio.exceptions import ApplicationError, CancelledError, FailureError

from core.clock import Clock
from workflows.activity_errors import failure_text
from workflows.contracts import (
    CHARGE_ENDED,
    FINAL_STATES,
    ChargeRef,
    SessionConfig,
    SessionRequest,
)
from workflows.session_calls import stop_charge
from workflows.session_data import SessionData
from workflows.session_inbox import SessionInbox
from workflows.session_silence import flag_if_unknown


async def send_stop(request: SessionRequest, data: SessionData, inbox: SessionInbox) -> None:
    """One attempt; Monta's answer (the charge winding down) goes into the session's view."""
    assert data.charge_id is not None
    data.stop_attempts += 1
    ref = ChargeRef(operator=request.operator, charge_id=data.charge_id)
    summary = f"stop charge {ref.charge_id}: {data.stop_reason}"
    try:
        inbox.apply_snapshot(await stop_charge(request.config, ref, summary))
        data.stop_confirmed = True
    except CancelledError:
        raise
    except FailureError as exc:
        # Any failure lands here: kwhLimit stops the charge regardless, and the stop is
        # sent again until Monta confirms it or ends the charge.
        data.last_error = failure_text(exc)
        flag_if_unknown(data, exc)


def stop_retry_at(data: SessionData, config: SessionConfig) -> datetime | None:
    """When an unconfirmed stop is sent again: never once Monta confirmed it or the charge
    is winding down or over (Monta's own end needs no stop)."""
    snapshot = data.snapshot
    if data.stop_sent_at is None or data.stop_confirmed or data.charge_id is None:
        return None
    if snapshot is not None and snapshot.state in CHARGE_ENDED:
        return None
    interval = Clock(config.time_scale).wall(config.stop_retry_interval_s)
    return data.stop_sent_at + interval * data.stop_attempts


def check_stoppable(state: str) -> None:
    """A stop request's validator: refused (and kept out of the history) once the session
    settles, since the charge is over by then."""
    if state in FINAL_STATES or state == "settling":
        raise ApplicationError(f"session is {state}: too late to stop", type="SessionNotStoppable")
