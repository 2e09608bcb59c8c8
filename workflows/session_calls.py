"""Activity calls the session makes: queue, timeouts, retry policy and summary for each.

Monta calls run on the operator's `monta-<operator>` queue (rate-limited there); payment
calls on the session queue. The policies themselves are in workflows/retry_policies.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import CancelledError, FailureError

with workflow.unsafe.imports_passed_through():
    import workflows.contracts as c
    from workflows.contracts import SessionConfig
    from workflows.retry_policies import (
        LOCAL_STOP_RETRY,
        MONTA_RETRY,
        PAYMENT_RETRY,
    )

T = TypeVar("T")

MONTA_CALL_TIMEOUT = timedelta(seconds=20)  # the Monta client itself times out at 10 s
PAYMENT_CALL_TIMEOUT = timedelta(seconds=30)
LOCAL_STOP_TIMEOUT = timedelta(seconds=10)
_HOLD_PLACING = (c.PAYMENTS_VERIFY, c.PAYMENTS_AUTHORIZE)


async def monta(
    config: SessionConfig,
    name: str,
    arg: Any,
    result_type: type[T],
    summary: str,
    retry: RetryPolicy = MONTA_RETRY,
) -> T:
    result: T = await workflow.execute_activity(
        name,
        arg,
        task_queue=config.monta_task_queue or None,
        start_to_close_timeout=MONTA_CALL_TIMEOUT,
        retry_policy=retry,
        result_type=result_type,
        summary=summary,
    )
    return result


async def payment(
    config: SessionConfig,
    name: str,
    arg: Any,
    result_type: type[T],
    summary: str,
    window_s: float | None = None,
) -> T:
    """Retried until it succeeds or fails definitively, within a window: placing a hold gives
    up after `payment_verify_deadline_s`; a capture or void after `payment_retry_window_s`,
    when the session flags itself and retries on its own timer; `window_s` overrides it (an
    increment must answer while the hold still lasts)."""
    window = (
        config.payment_verify_deadline_s if name in _HOLD_PLACING else config.payment_retry_window_s
    )
    window = window if window_s is None else window_s
    deadline = timedelta(seconds=window)  # wall-clock: an outage lasts as long at any scale
    result: T = await workflow.execute_activity(
        name,
        arg,
        start_to_close_timeout=PAYMENT_CALL_TIMEOUT,
        schedule_to_close_timeout=deadline,
        retry_policy=PAYMENT_RETRY,
        result_type=result_type,
        summary=summary,
    )
    return result


async def stop_charge(config: SessionConfig, ref: c.ChargeRef, summary: str) -> c.ChargeSnapshot:
    """The stop's latency is money: first a local activity on the session worker (never
    queued behind polls), then, if that keeps failing, the operator's Monta queue."""
    try:
        result: c.ChargeSnapshot = await workflow.execute_local_activity(
            c.MONTA_STOP_CHARGE_LOCAL,
            ref,
            start_to_close_timeout=LOCAL_STOP_TIMEOUT,
            retry_policy=LOCAL_STOP_RETRY,
            result_type=c.ChargeSnapshot,
            summary=summary,
        )
        return result
    except CancelledError:
        raise
    except FailureError:
        # Not only ActivityError: a local activity that exhausted its attempts on a 429 can
        # surface as the bare ApplicationError; either way the queue path takes over.
        return await monta(config, c.MONTA_STOP_CHARGE, ref, c.ChargeSnapshot, summary)
