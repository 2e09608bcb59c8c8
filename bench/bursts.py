"""How the stops of a phase bunch up, and the schedule that replays them on bare workflows.

The sessions of an open phase start within seconds of each other with the same budget and
power, so their thresholds are crossed together and Monta's batches carry many crossings
at once: a burst of stops due in the same instant. The issue's floor probe sends one signal
at a time (bench/probe.py `floor`), which never meets such a burst. The burst floor sends
the same number of signals, to as many bare workflows, at the same offsets as the phase's
crossing batches (`schedule`), so raw Temporal pays the same queueing (pure).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from bench.stats import percentile
from bench.truth import crossing_delivery

# Deliveries of one batch carry the emulator's one POST time; rounding only absorbs float noise.
SAME_BATCH_DIGITS = 4
# A batch with at least this many crossings counts as a burst in `summary`.
BURST = 10


def crossing_times(
    charges: Iterable[Mapping[str, Any]],
    budgets: Mapping[str, Decimal],
    latency_s: float,
    time_scale: float,
) -> list[float]:
    """When each budget-stopped charge's threshold-crossing batch was POSTed (epoch s)."""
    out = []
    for charge in charges:
        budget = budgets.get(str(charge.get("partnerExternalId")))
        if budget is None:
            continue
        cross = crossing_delivery(charge, budget, latency_s, time_scale)
        if cross is not None:
            out.append(float(cross["t"]))
    return out


def batches(times: Iterable[float]) -> list[tuple[float, int]]:
    """(POST time, crossings in it), in time order."""
    sizes = Counter(round(t, SAME_BATCH_DIGITS) for t in times)
    return sorted(sizes.items())


def schedule(found: Sequence[tuple[float, int]]) -> list[tuple[float, int]]:
    """(seconds after the first batch, signals to send at once)."""
    if not found:
        return []
    first = found[0][0]
    return [(round(t - first, 4), n) for t, n in found]


def summary(found: Sequence[tuple[float, int]]) -> dict[str, float | int | None]:
    """{batches, stops, size_p50, size_max, in_bursts}: `in_bursts` = share of the stops
    that came in a batch of BURST or more."""
    sizes = [float(n) for _, n in found]
    stops = int(sum(sizes))
    big = sum(n for n in sizes if n >= BURST)
    return {
        "batches": len(found),
        "stops": stops,
        "size_p50": percentile(sizes, 50),
        "size_max": max(sizes, default=None),
        "in_bursts": round(big / stops, 3) if stops else None,
    }
