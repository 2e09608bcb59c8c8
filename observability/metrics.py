"""chargepay's own Prometheus metrics (names are what deploy/prometheus/alerts.yml expects).

Workflow code never touches these (side effects replay): session outcomes are recorded by
the worker interceptor in `observability.interceptor`, Monta calls by the Monta client
(`activities.monta.metrics`, re-exported here), webhook batches by the API route, and the
per-state gauges by `observability.gauges` from Temporal visibility.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from prometheus_client import Counter, Gauge, Histogram

from activities.monta.metrics import MONTA_RATE_LIMITED, MONTA_REQUESTS

SESSIONS = Counter(
    "chargepay_sessions",
    "Sessions that reached a final state, by outcome (final SessionState).",
    ["outcome"],
)
SESSIONS_ATTENTION = Counter(
    "chargepay_sessions_attention",
    "Sessions that ended flagged with the Attention search attribute, by reason.",
    ["reason"],
)
HOLD_EXPIRING = Gauge(
    "chargepay_hold_expiring_seconds",
    "Least time to expiry among the card holds of running sessions.",
)
RECONCILIATION_MISMATCHES = Counter(
    "chargepay_reconciliation_mismatches",
    "Reconciliation findings where captured money disagrees with Monta or the acquirer.",
    ["kind"],
)
WEBHOOK_LAST_RECEIVED = Gauge(
    "chargepay_webhook_last_received_timestamp_seconds",
    "Unix time of the last Monta webhook batch that passed the signature check.",
    ["operator"],
)
SESSIONS_IN_STATE = Gauge(
    "chargepay_sessions_in_state",
    "Running sessions per non-final SessionState (from Temporal visibility).",
    ["state"],
)
SESSION_STATE_AGE_MAX = Gauge(
    "chargepay_session_state_age_seconds_max",
    "Age of the oldest running session per non-final state (from Temporal visibility).",
    ["state"],
)
STOP_LATENCY = Histogram(
    "chargepay_stop_latency_seconds",
    "From the workflow scheduling the stop to Monta accepting it (wall clock); path = local "
    "activity or the operator's Monta queue.",
    ["operator", "path"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120),
)
OVERSHOOT_KWH = Histogram(
    "chargepay_overshoot_kwh",
    "kWh delivered beyond the session's kWh budget (0 when it stopped in time).",
    buckets=(0, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5),
)
PAYMENTS = Counter(
    "chargepay_payments",
    "Payment operations (verify, authorize, capture, void, increment) by outcome.",
    ["operation", "outcome"],
)
WEBHOOK_BATCHES = Counter(
    "chargepay_webhook_batches",
    "Monta webhook batches by operator and outcome (accepted, retry = answered 5xx so "
    "Monta redelivers, bad_signature, invalid).",
    ["operator", "outcome"],
)
WEBHOOK_ENTRIES = Counter(
    "chargepay_webhook_entries",
    "Monta webhook entries by outcome (signalled, finished, failed, not_ours, unreadable).",
    ["operator", "outcome"],
)
WEBHOOK_SIGNALS = Counter(
    "chargepay_webhook_signals",
    "Webhook snapshots signalled to their session, by why they were news "
    "(api/webhooks/coalesce.py: first, state, ended, first_energy, near_cap, "
    "no_cap, interval).",
    ["operator", "reason"],
)

__all__ = [
    "HOLD_EXPIRING",
    "MONTA_RATE_LIMITED",
    "MONTA_REQUESTS",
    "OVERSHOOT_KWH",
    "PAYMENTS",
    "RECONCILIATION_MISMATCHES",
    "SESSIONS",
    "SESSIONS_ATTENTION",
    "SESSIONS_IN_STATE",
    "SESSION_STATE_AGE_MAX",
    "STOP_LATENCY",
    "WEBHOOK_BATCHES",
    "WEBHOOK_ENTRIES",
    "WEBHOOK_LAST_RECEIVED",
    "WEBHOOK_SIGNALS",
    "record_webhook_batch",
]


# A request that did not prove it came from Monta (the operator label is a known operator:
# the route answers 404 before this for any other path).
UNAUTHENTICATED = frozenset({"bad_signature"})


def record_webhook_batch(
    operator: str, outcome: str, entries: Mapping[str, int] | None = None
) -> None:
    """One call per webhook request, from the API route; `entries` = counts by outcome."""
    WEBHOOK_BATCHES.labels(operator, outcome).inc()
    for entry_outcome, n in (entries or {}).items():
        if n:
            WEBHOOK_ENTRIES.labels(operator, entry_outcome).inc(n)
    if outcome not in UNAUTHENTICATED:
        WEBHOOK_LAST_RECEIVED.labels(operator).set(time.time())
