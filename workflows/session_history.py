"""When a long session hands its state to a new run (continue-as-new), so its history
stays small enough to replay quickly. Workflow code only."""

from __future__ import annotations

from temporalio import workflow

from workflows.contracts import SessionConfig


def continue_as_new_due(config: SessionConfig) -> bool:
    """When Temporal suggests it, or past the history length a test forces."""
    info = workflow.info()
    forced = config.continue_as_new_after_events
    return info.is_continue_as_new_suggested() or bool(
        forced and info.get_current_history_length() >= forced
    )
