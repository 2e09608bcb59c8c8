"""Per-state session gauges from Temporal visibility (the one place that sees every session).

`chargepay_sessions_in_state{state}` counts running sessions per non-final SessionState.
`chargepay_session_state_age_seconds_max{state}` is the age of the oldest one: measured
from the session's `StateSince` search attribute (the workflow's start time for sessions
started before it existed). `chargepay_hold_expiring_seconds` is the least time left on any
running session's hold, from `HoldExpiresAt` (+Inf when no session holds one). Every worker
may run the poller: the alerts only use max()/`> 0` over these series.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from temporalio.client import Client, WorkflowExecution

from observability import metrics as m
from workflows.contracts import SESSION_WORKFLOW
from workflows.search_attributes import HOLD_EXPIRES_AT, STATE_SINCE

log = logging.getLogger(__name__)
ACTIVE_STATES = ("pricing", "authorizing", "starting", "charging", "stopping", "settling")
MAX_ROWS_PER_STATE = 5000  # bounds one refresh; the oldest is almost always on page one


def running_in_state(state: str) -> str:
    return (
        f"WorkflowType = '{SESSION_WORKFLOW}' AND ExecutionStatus = 'Running' "
        f"AND SessionState = '{state}'"
    )


def _since(wf: WorkflowExecution) -> datetime:
    return wf.typed_search_attributes.get(STATE_SINCE) or wf.start_time


async def refresh_once(client: Client, now: datetime | None = None) -> None:
    """One pass over visibility: set every per-state gauge and the hold gauge."""
    now = now or datetime.now(UTC)
    least_hold: float | None = None
    for state in ACTIVE_STATES:
        count, oldest = 0, 0.0
        async for wf in client.list_workflows(running_in_state(state), limit=MAX_ROWS_PER_STATE):
            count += 1
            oldest = max(oldest, (now - _since(wf)).total_seconds())
            expires = wf.typed_search_attributes.get(HOLD_EXPIRES_AT)
            if expires is not None:
                left = (expires - now).total_seconds()
                least_hold = left if least_hold is None else min(least_hold, left)
        m.SESSIONS_IN_STATE.labels(state).set(count)
        m.SESSION_STATE_AGE_MAX.labels(state).set(oldest)
    # No known hold: +Inf, so an old value never keeps the HoldNearExpiry alert firing.
    m.HOLD_EXPIRING.set(least_hold if least_hold is not None else float("inf"))


async def run_gauges(client: Client, interval_s: float) -> None:
    """Refresh forever (cancel the task to stop); a failed pass is logged and retried."""
    while True:
        try:
            await refresh_once(client)
        except Exception as exc:  # Temporal down: keep the old values, try again later
            log.warning("session gauges refresh failed: %s", exc)
        await asyncio.sleep(interval_s)
