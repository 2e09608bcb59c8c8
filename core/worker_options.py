"""How chargepay's workers poll Temporal and run workflow code, shared with the bench's bare
workers so that comparisons run like for like.

Pollers: the SDK default is at most 5 workflow-task polls per worker. A session worker
carries every open session: when a webhook burst schedules more workflow tasks than 5 polls
drain, tasks wait in the queue (measured: a signal sat >1 s before its task started at 100
open sessions, bench `stop_path`). Autoscaling pollers follow the server's backlog feedback,
above a floor of open polls.

Sandbox: the SDK's sandbox re-imports the workflow module for every new run and re-enters
the sandbox for every payload of every activation. Measured (py-spy, bench open phase, 100
sessions): a quarter of the worker's CPU (18.8 s with it, 14.5 s without). Tests and replays
keep it on, so a non-deterministic call still fails CI; a production worker may turn it off
(`CHARGEPAY_WORKFLOW_SANDBOX=off`) for code that passed them.
"""

from __future__ import annotations

from typing import Any

from temporalio.worker import PollerBehaviorAutoscaling, UnsandboxedWorkflowRunner

DEFAULT_MAX_POLLERS = 50
# Workflow-task polls kept open between bursts. The autoscaler shrinks to its minimum (1)
# in a lull; the next webhook burst then finds no poll waiting, its tasks go to the queue's
# backlog and wait for the scale-up (measured at 100 open sessions: schedule-to-start p50
# 102 ms with 1, 55 ms with 16). An open long poll costs the server almost nothing.
IDLE_WORKFLOW_POLLERS = 16


def poller_options(max_pollers: int = DEFAULT_MAX_POLLERS) -> dict[str, Any]:
    """`Worker(...)` keyword arguments: autoscaled workflow and activity pollers."""
    idle = min(IDLE_WORKFLOW_POLLERS, max_pollers)
    return {
        "workflow_task_poller_behavior": PollerBehaviorAutoscaling(
            minimum=idle, initial=idle, maximum=max_pollers
        ),
        "activity_task_poller_behavior": PollerBehaviorAutoscaling(maximum=max_pollers),
    }


def worker_options(
    max_pollers: int = DEFAULT_MAX_POLLERS, sandboxed: bool = True
) -> dict[str, Any]:
    """`Worker(...)` keyword arguments: pollers and, unless sandboxed, the plain runner."""
    options = poller_options(max_pollers)
    if not sandboxed:
        options["workflow_runner"] = UnsandboxedWorkflowRunner()
    return options
