"""The instants a session's money depends on, from its hold's expiry and its config.

Durations in the config are real-world seconds; `Clock` turns them into wall-clock time, the
time the hold's expiry and the workflow's timers are in.
"""

from __future__ import annotations

from datetime import datetime

from core.clock import Clock
from workflows.contracts import Authorization, SessionConfig
from workflows.session_data import SessionData


def capture_deadline(authorization: Authorization, config: SessionConfig) -> datetime:
    """The capture must land a margin before the hold expires: an expired hold pays nothing."""
    return authorization.expires_at - Clock(config.time_scale).wall(config.capture_margin_s)


def stop_deadline(authorization: Authorization, config: SessionConfig) -> datetime:
    """The charge is stopped a further margin earlier, so Monta can complete it (and price
    it) before the capture deadline."""
    margin = Clock(config.time_scale).wall(config.capture_margin_s)
    return capture_deadline(authorization, config) - margin


def settle_deadline(data: SessionData, config: SessionConfig) -> datetime:
    """How long a stopping session waits for Monta's `completed` before it captures on the
    last known price: the settle timeout after the stop (or after Monta ended the charge
    itself, `stopping_since`), never past the capture deadline."""
    assert data.authorization is not None and data.stopping_since is not None
    stopped = data.stop_sent_at or data.stopping_since
    settle_by = stopped + Clock(config.time_scale).wall(config.settle_timeout_s)
    return min(settle_by, capture_deadline(data.authorization, config))
