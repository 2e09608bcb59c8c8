"""Pure statistics of the benchmark: percentiles and summaries."""

from __future__ import annotations

import pytest

from bench.stats import latency_summary, mean_max, mean_min, percentile, ratio


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile(values, 0) == 1


def test_percentile_ignores_order_and_small_samples() -> None:
    assert percentile([30.0, 10.0, 20.0], 50) == 20
    assert percentile([30.0, 10.0, 20.0], 99) == 30
    assert percentile([], 50) is None


def test_percentile_rejects_out_of_range() -> None:
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_summaries() -> None:
    s = latency_summary([5.0, 1.0, 3.0])
    assert s == {"p50": 3.0, "p99": 5.0, "max": 5.0, "n": 3}
    assert latency_summary([])["p99"] is None
    assert mean_max([1.0, 3.0]) == {"mean": 2.0, "max": 3.0, "n": 2}
    assert mean_min([0.9, 0.95]) == {"mean": 0.925, "min": 0.9, "n": 2}
    assert ratio(8.0, 10.0) == 0.8
    assert ratio(8.0, 0.0) is None
