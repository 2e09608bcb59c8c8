"""Every retry policy the workflows give their activities, written once.

Monta's 4xx (other than 408/409/429) and a refused start are never retried: asking again
gets the same answer. The start itself is never blindly retried (a second POST /charges
could start a second charge): the session looks an unknown outcome up first. Money-moving
payment calls retry until they succeed or fail definitively, each within a window the
session sets (workflows/session_calls.py), after which it flags itself and keeps retrying
on its own timer: a hold is never left open because the acquirer was briefly down.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

from workflows import contracts as c

MONTA_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=8,
    non_retryable_error_types=[c.ERR_MONTA_CLIENT, c.ERR_CHARGE_POINT_UNAVAILABLE],
)
MONTA_START_RETRY = RetryPolicy(maximum_attempts=1)
# The lookup after an unknown start: a few quick tries, then the session's own loop, which
# also adopts the charge from Monta's snapshots meanwhile (a long retry would leave the
# charge unwatched for as long).
MONTA_LOOKUP_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=4),
    maximum_attempts=3,
    non_retryable_error_types=[c.ERR_MONTA_CLIENT],
)
# The stop as a local activity: a few quick attempts, then the operator's Monta queue.
LOCAL_STOP_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    maximum_interval=timedelta(seconds=2),
    maximum_attempts=3,
    non_retryable_error_types=[c.ERR_MONTA_CLIENT],
)
PAYMENT_DEFINITIVE = [
    c.ERR_PAYMENT_DECLINED,
    c.ERR_AUTHORIZATION_EXPIRED,
    c.ERR_AUTHORIZATION_NOT_FOUND,
    c.ERR_ALREADY_CAPTURED,
    c.ERR_ALREADY_VOIDED,
    c.ERR_AMOUNT_ABOVE_AUTHORIZED,
    c.ERR_AMOUNT_NOT_REPRESENTABLE,
    c.ERR_PAYMENT_REQUEST_INVALID,
    c.ERR_INCREMENT_UNSUPPORTED,
]
PAYMENT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=60),
    maximum_attempts=0,  # within the caller's schedule-to-close window
    non_retryable_error_types=PAYMENT_DEFINITIVE,
)
# The ledger write: a database outage is waited out (within the caller's window); an
# unknown operator or a receipt the ledger refuses is not retried.
LEDGER_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=0,
    non_retryable_error_types=[c.ERR_LEDGER_REFUSED],
)
# The watcher's and reconciliation's own work on the session queue (Temporal reads).
LOCAL_WORK_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=5)
