"""What the Temporal server did per completed session, by operation: read from the dev
server's own `/metrics` (`--metrics-port`) before and after each side of the throughput
comparison, so the CPU gap between chargepay and the bare workflows is explained by counts
(RPCs the frontend served, database operations, history tasks) rather than guessed.

Families read (Temporal server metrics): `service_requests` of the frontend (every call a
client or worker makes), `persistence_requests` (main store), `visibility_persistence_
requests` (the list/search store, written by search-attribute upserts) and
`task_requests` (history's transfer, timer and visibility tasks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import httpx
from prometheus_client.parser import text_string_to_metric_families

# family -> the key prefix in the results; frontend RPCs only (history and matching count
# the same request again as it passes through them).
FAMILIES = {
    "service_requests": "rpc",
    "persistence_requests": "db",
    "visibility_persistence_requests": "visibility",
    "task_requests": "task",
}
FRONTEND = "frontend"
SHOWN_FROM = 0.05  # per session: smaller counts on both sides are left out

Counts = dict[str, float]


def parse(text: str) -> Counts:
    """`<prefix>:<operation>` -> count, summed over the other labels."""
    out: Counts = {}
    for family in text_string_to_metric_families(text):
        prefix = FAMILIES.get(family.name)
        if prefix is None:
            continue
        for sample in family.samples:
            if sample.name not in (family.name, f"{family.name}_total"):
                continue
            labels = sample.labels
            if prefix == "rpc" and labels.get("service_name") != FRONTEND:
                continue
            key = f"{prefix}:{labels.get('operation', '?')}"
            out[key] = out.get(key, 0.0) + sample.value
    return out


async def read(http: httpx.AsyncClient, metrics_url: str | None) -> Counts | None:
    """None when the server exposes no metrics or they cannot be read: the figure is left
    out, the run goes on."""
    if metrics_url is None:
        return None
    try:
        resp = await http.get(metrics_url, timeout=10.0)
        resp.raise_for_status()
    except httpx.HTTPError:
        return None
    return parse(resp.text)


def spent(before: Mapping[str, float] | None, after: Mapping[str, float] | None) -> Counts | None:
    """What the server did between two reads (None if either is missing)."""
    if before is None or after is None:
        return None
    return {k: v - before.get(k, 0.0) for k, v in sorted(after.items()) if v > before.get(k, 0.0)}


def total(parts: Sequence[Mapping[str, float] | None]) -> Counts | None:
    """Several windows' counts added up; None if any window is missing (no half figure)."""
    if not parts or any(p is None for p in parts):
        return None
    out: Counts = {}
    for part in parts:
        assert part is not None
        for k, v in part.items():
            out[k] = out.get(k, 0.0) + v
    return out


def per_session(counts: Mapping[str, float] | None, completed: int) -> Counts | None:
    if counts is None or not completed:
        return None
    return {k: round(v / completed, 2) for k, v in counts.items()}


def side_by_side(ours: Mapping[str, float], bare: Mapping[str, float]) -> dict[str, list[float]]:
    """`key -> [ours, bare]` for the operations either side did at least SHOWN_FROM times
    per session, the largest gap first."""
    keys = [k for k in {*ours, *bare} if max(ours.get(k, 0.0), bare.get(k, 0.0)) >= SHOWN_FROM]
    keys.sort(key=lambda k: (-(ours.get(k, 0.0) - bare.get(k, 0.0)), k))
    return {k: [ours.get(k, 0.0), bare.get(k, 0.0)] for k in keys}
