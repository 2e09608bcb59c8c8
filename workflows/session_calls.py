"""Activity calls the session makes: queue, timeouts, retry policy and summary for each.

Monta calls run on the operator's `monta-<operator>` queue (rate-limited there); payment
calls on the session queue. Payment capture/void retry until they succeed or fail
definitively: a hold is never left open because the acquirer was briefly down.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import CancelledError, FailureError

with workflow.unsafe.imports_passed_through():
    import workflows.contracts as c
    from workflows.session_models import SessionConfig

T = TypeVar("T")

MONTA_CALL_TIMEOUT = timedelta(seconds=20)  # the Monta client itself times out at 10 s
PAYMENT_CALL_TIMEOUT = timedelta(seconds=30)
LOCAL_STOP_TIMEOUT = timedelta(seconds=10)
LOCAL_STOP_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    maximum_interval=timedelta(seconds=2),
    maximum_attempts=3,
    non_retryable_error_types=[c.ERR_MONTA_CLIENT],
)

MONTA_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=8,
    non_retryable_error_types=[c.ERR_MONTA_CLIENT, c.ERR_CHARGE_POINT_UNAVAILABLE],
)
# The start is never blindly retried: an unknown outcome is looked up first.
MONTA_START_RETRY = RetryPolicy(maximum_attempts=1)
PAYMENT_DEFINITIVE = [
    c.ERR_PAYMENT_DECLINED,
    c.ERR_AUTHORIZATION_EXPIRED,
    c.ERR_AUTHORIZATION_NOT_FOUND,
    c.ERR_ALREADY_CAPTURED,
    c.ERR_ALREADY_VOIDED,
    c.ERR_AMOUNT_ABOVE_AUTHORIZED,
    c.ERR_INCREMENT_UNSUPPORTED,
]
PAYMENT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=60),
    maximum_attempts=0,  # until it succeeds or fails definitively
    non_retryable_error_types=PAYMENT_DEFINITIVE,
)
# Verifying a hold gives up after a while: the session then ends declined and flagged.
PAYMENT_VERIFY_DEADLINE = timedelta(minutes=10)


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


async def payment(name: str, arg: Any, result_type: type[T], summary: str) -> T:
    deadline = (
        PAYMENT_VERIFY_DEADLINE if name in (c.PAYMENTS_VERIFY, c.PAYMENTS_AUTHORIZE) else None
    )
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
