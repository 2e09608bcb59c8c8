"""Pure arithmetic of the full run: slope fits, recovery time, the sustainable start rate,
repeats' spread and histogram quantiles. No I/O: tests/bench/test_fit.py covers it."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


def slope(points: Sequence[tuple[float, float]]) -> float | None:
    """Least-squares slope of y over x (None with fewer than two distinct x)."""
    if len(points) < 2:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in points) / sxx


def r_squared(points: Sequence[tuple[float, float]]) -> float | None:
    b = slope(points)
    if b is None:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    ss_tot = sum((y - my) ** 2 for _, y in points)
    ss_res = sum((y - (my + b * (x - mx))) ** 2 for x, y in points)
    return None if ss_tot == 0 else 1 - ss_res / ss_tot


@dataclass(frozen=True)
class Timeline:
    """One session's history times (epoch seconds): signals as the server recorded them,
    workflow tasks as they completed, and when the workflow closed (None: still open)."""

    session_id: str
    signals: tuple[float, ...]
    tasks_completed: tuple[float, ...]
    closed_at: float | None = None


def caught_up_at(t: Timeline, after: float) -> float | None:
    """When the session had processed the first signal that arrived after `after`: the
    first completed workflow task at or after that signal. None if no signal arrived after
    it, or it was never processed."""
    later = [s for s in t.signals if s > after]
    if not later:
        return None
    first = min(later)
    done = [c for c in t.tasks_completed if c >= first]
    return min(done) if done else None


def recovery(timelines: Sequence[Timeline], at: float) -> dict[str, float | int | None]:
    """From `at` until every session open at `at` processed a signal that arrived after it.

    Sessions closed before `at` are not counted; a session open at `at` that got no later
    signal (it closed first) is counted under `no_later_signal`; one whose later signal was
    never processed makes the figure None (it never recovered)."""
    open_at = [t for t in timelines if t.closed_at is None or t.closed_at > at]
    lags: list[float] = []
    never = no_signal = 0
    for t in open_at:
        if not any(s > at for s in t.signals):
            no_signal += 1
            continue
        done = caught_up_at(t, at)
        if done is None:
            never += 1
        else:
            lags.append(done - at)
    return {
        "recovery_s": None if never or not lags else round(max(lags), 2),
        "p50_s": round(statistics.median(lags), 2) if lags else None,
        "open": len(open_at),
        "caught_up": len(lags),
        "never": never,
        "no_later_signal": no_signal,
    }


def sustainable_rate(
    own_calls_per_session: float,
    shared_calls_per_s: float,
    limit: int = 1000,
    window_s: float = 600.0,
    share: float = 0.9,
) -> float | None:
    """New sessions per second one credential carries with steady-state quota use at or
    below `share`: r * own + shared <= share * limit / window."""
    budget = share * limit / window_s - shared_calls_per_s
    if own_calls_per_session <= 0 or budget <= 0:
        return None
    return budget / own_calls_per_session


def max_in_window(times: Sequence[float], window_s: float) -> int:
    """The most events in any `window_s` span (a sliding quota window)."""
    ts = sorted(times)
    best = lo = 0
    for hi, t in enumerate(ts):
        while t - ts[lo] >= window_s:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def spread(values: Sequence[float | None]) -> dict[str, float | int | None]:
    """{median, min, max, n} of the values that exist."""
    xs = [float(v) for v in values if v is not None]
    if not xs:
        return {"median": None, "min": None, "max": None, "n": 0}
    return {
        "median": round(statistics.median(xs), 2),
        "min": round(min(xs), 2),
        "max": round(max(xs), 2),
        "n": len(xs),
    }


def histogram_quantile(buckets: Mapping[float, float], q: float) -> float | None:
    """Prometheus-style quantile from cumulative bucket counts `{le: count}` (le may be
    inf): linear within the bucket; the highest finite bound when it falls in +Inf."""
    if not buckets:
        return None
    bounds = sorted(buckets)
    total = buckets[bounds[-1]]
    if total <= 0:
        return None
    rank = q * total
    prev_bound, prev_count = 0.0, 0.0
    for b in bounds:
        count = buckets[b]
        if count >= rank:
            if math.isinf(b):
                return prev_bound
            if count == prev_count:
                return b
            return prev_bound + (b - prev_bound) * (rank - prev_count) / (count - prev_count)
        prev_bound, prev_count = (b if not math.isinf(b) else prev_bound), count
    return prev_bound


def bucket_delta(before: Mapping[float, float], after: Mapping[float, float]) -> dict[float, float]:
    return {le: after[le] - before.get(le, 0.0) for le in after}
