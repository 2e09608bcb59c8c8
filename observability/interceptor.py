"""Worker interceptor: metrics and log context from outside the workflow code.

Workflow code must stay free of side effects (it replays), so the session's outcome is
recorded here, when `run` returns live (never while replaying, e.g. for a query after a
cache eviction). Activities get `session_id`/`monta_charge_id` bound for their log lines,
the payment operations are counted, and the stop latency is measured from the moment the
workflow scheduled the stop to Monta's answer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from temporalio import activity, workflow
from temporalio.exceptions import ApplicationError, FailureError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    ExecuteWorkflowInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

from observability import metrics as m
from observability.logging import bind
from workflows import contracts as c

PAYMENT_PREFIX = "payments_"
# The stop runs as a local activity first, through the Monta queue if that keeps failing.
STOP_PATHS = {c.MONTA_STOP_CHARGE_LOCAL: "local", c.MONTA_STOP_CHARGE: "queue"}


def attention_reasons(attention: str | None) -> list[str]:
    """`"capture_failed: X; void_failed: Y"` -> `["capture_failed", "void_failed"]`."""
    if not attention:
        return []
    return [part.split(":", 1)[0].strip() for part in attention.split(";") if part.strip()]


def overshoot_kwh(consumed: Decimal | None, budget: Decimal | None) -> Decimal | None:
    if consumed is None or budget is None:
        return None
    return max(consumed - budget, Decimal("0"))


def record_session_outcome(status: Any) -> None:
    """Count a finished session (a `SessionStatus`): outcome, attention, overshoot."""
    m.SESSIONS.labels(status.state).inc()
    for reason in attention_reasons(status.attention):
        m.SESSIONS_ATTENTION.labels(reason).inc()
    over = overshoot_kwh(status.consumed_kwh, status.kwh_budget)
    if over is not None and status.charge_id is not None:
        m.OVERSHOOT_KWH.observe(float(over))


def _failure_kind(exc: BaseException) -> str:
    return (exc.type if isinstance(exc, ApplicationError) else None) or type(exc).__name__


def _arg_attr(args: Any, name: str) -> Any:
    return next((getattr(a, name) for a in args if hasattr(a, name)), None)


class _ActivityInbound(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        with bind(monta_charge_id=_arg_attr(input.args, "charge_id")):
            try:
                result = await super().execute_activity(input)
            except BaseException as exc:
                _record_activity(info, input.args, _failure_kind(exc))
                raise
        _record_activity(info, input.args, "ok")
        return result


def _record_activity(info: activity.Info, args: Any, outcome: str) -> None:
    name = info.activity_type
    if name.startswith(PAYMENT_PREFIX):
        m.PAYMENTS.labels(name.removeprefix(PAYMENT_PREFIX), outcome).inc()
    elif name in STOP_PATHS and outcome == "ok":
        elapsed = (datetime.now(UTC) - info.scheduled_time).total_seconds()
        operator = _arg_attr(args, "operator") or ""
        m.STOP_LATENCY.labels(operator, STOP_PATHS[name]).observe(max(elapsed, 0.0))


class _WorkflowInbound(WorkflowInboundInterceptor):
    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        try:
            result = await super().execute_workflow(input)
        except FailureError:
            # Fails the workflow for good (other exceptions only fail the task, which retries).
            self._record(None)
            raise
        self._record(result)
        return result

    @staticmethod
    def _record(result: Any) -> None:
        if workflow.info().workflow_type != c.SESSION_WORKFLOW or workflow.unsafe.is_replaying():
            return
        with workflow.unsafe.sandbox_unrestricted():
            if result is None:
                m.SESSIONS.labels("workflow_failed").inc()
            else:
                record_session_outcome(result)


class MetricsInterceptor(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _ActivityInbound(super().intercept_activity(next))

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        return _WorkflowInbound


def metrics_interceptor() -> MetricsInterceptor:
    """Add to `Worker(..., interceptors=[...])` of the session worker (and the Monta ones)."""
    return MetricsInterceptor()
