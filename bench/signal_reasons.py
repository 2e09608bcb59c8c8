"""Why the API signalled the sessions of a phase: `chargepay_webhook_signals_total{reason}`
(reasons: api/webhooks/coalesce.py) from the API's `/metrics`, read before and after the phase.

The ingest probe's entries go through the same route, so the seconds it runs are left out
(`spent` sums only the windows around it; the sessions' own signals in those seconds are
missed with it), and the floor probe's signals (`first`, counted by the probe) are taken
off (`without`). With several API replicas, each one's counters are read and summed.
The watcher's backstop signals do not pass the API: not here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import httpx
from prometheus_client.parser import text_string_to_metric_families

METRIC = "chargepay_webhook_signals"

Counts = dict[str, float]


def parse(text: str) -> Counts:
    """Signals by reason, summed over operators, from a Prometheus text exposition."""
    out: Counts = {}
    for family in text_string_to_metric_families(text):
        if family.name != METRIC:
            continue
        for sample in family.samples:
            if sample.name == f"{METRIC}_total":
                reason = sample.labels["reason"]
                out[reason] = out.get(reason, 0.0) + sample.value
    return out


async def read(http: httpx.AsyncClient, api_metrics_url: str) -> Counts:
    resp = await http.get(api_metrics_url)
    resp.raise_for_status()
    return parse(resp.text)


async def read_all(http: httpx.AsyncClient, urls: Sequence[str]) -> Counts:
    """Summed over the API replicas: each counts only the signals it sent."""
    out: Counts = {}
    for url in urls:
        for reason, n in (await read(http, url)).items():
            out[reason] = out.get(reason, 0.0) + n
    return out


def without(counts: Mapping[str, float], reason: str, n: float) -> Counts:
    """`counts` less `n` signals of `reason` (a probe's own, counted apart)."""
    out = dict(counts)
    if reason in out:
        out[reason] = max(0.0, out[reason] - n)
    return {k: v for k, v in out.items() if v}


def spent(windows: Sequence[tuple[Mapping[str, float], Mapping[str, float]]]) -> Counts:
    """Signals by reason over (before, after) reads of the counters."""
    out: Counts = {}
    for before, after in windows:
        for reason, n in after.items():
            out[reason] = out.get(reason, 0.0) + n - before.get(reason, 0.0)
    return {k: v for k, v in sorted(out.items(), key=lambda kv: -kv[1]) if v}


def per_session(counts: Mapping[str, float], sessions: int) -> dict[str, float]:
    return {k: round(v / sessions, 2) for k, v in counts.items()} if sessions else {}
