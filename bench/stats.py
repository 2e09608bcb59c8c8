"""Summary statistics for the benchmark (pure, no I/O)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least p % of the values <= it."""
    if not 0 <= p <= 100:
        raise ValueError(f"percentile {p} outside 0..100")
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def latency_summary(values_ms: Sequence[float]) -> dict[str, float | int | None]:
    """{p50, p99, max, n} in milliseconds, rounded to 0.1 ms."""
    return {
        "p50": rounded(percentile(values_ms, 50), 1),
        "p99": rounded(percentile(values_ms, 99), 1),
        "max": rounded(max(values_ms), 1) if values_ms else None,
        "n": len(values_ms),
    }


def mean_max(values: Sequence[float], digits: int = 4) -> dict[str, float | int | None]:
    return {
        "mean": rounded(mean(values), digits),
        "max": rounded(max(values), digits) if values else None,
        "n": len(values),
    }


def mean_min(values: Sequence[float], digits: int = 4) -> dict[str, float | int | None]:
    return {
        "mean": rounded(mean(values), digits),
        "min": rounded(min(values), digits) if values else None,
        "n": len(values),
    }


def ratio(ours: float | None, baseline: float | None, digits: int = 3) -> float | None:
    if ours is None or not baseline:
        return None
    return round(ours / baseline, digits)
