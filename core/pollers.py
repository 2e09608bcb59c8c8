"""How chargepay's workers poll Temporal, shared with the bench's bare workers so that
comparisons run like for like.

The SDK default is at most 5 workflow-task polls per worker. A session worker carries every
open session: when a webhook burst schedules more workflow tasks than 5 polls drain, tasks
wait in the queue (measured: a signal sat >1 s before its task started at 100 open
sessions, bench `stop_path`). Autoscaling pollers follow the server's backlog feedback.
"""

from __future__ import annotations

from typing import Any

from temporalio.worker import PollerBehaviorAutoscaling

DEFAULT_MAX_POLLERS = 50


def poller_options(max_pollers: int = DEFAULT_MAX_POLLERS) -> dict[str, Any]:
    """`Worker(...)` keyword arguments: autoscaled workflow and activity pollers."""
    return {
        "workflow_task_poller_behavior": PollerBehaviorAutoscaling(maximum=max_pollers),
        "activity_task_poller_behavior": PollerBehaviorAutoscaling(maximum=max_pollers),
    }
