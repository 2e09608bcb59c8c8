"""The full run's arithmetic: slope, recovery time, sustainable rate, spread, quantiles."""

from __future__ import annotations

import math

import pytest

from bench import fit
from bench.fleet import fleet_of, operators_needed, seed_json
from bench.parts import capacity_scale, held


def test_slope_is_the_least_squares_fit() -> None:
    pts = [(0.0, 300.0), (100.0, 310.0), (200.0, 320.5), (300.0, 329.5)]
    assert fit.slope(pts) == pytest.approx(0.099)
    assert fit.slope([(1.0, 2.0)]) is None
    assert fit.slope([(1.0, 2.0), (1.0, 3.0)]) is None  # no spread in x: no slope
    assert fit.r_squared([(0.0, 1.0), (1.0, 3.0), (2.0, 5.0)]) == pytest.approx(1.0)


def tl(
    sid: str, signals: list[float], tasks: list[float], closed: float | None = None
) -> fit.Timeline:
    return fit.Timeline(sid, tuple(signals), tuple(tasks), closed)


def test_recovery_waits_for_every_open_session_to_process_a_later_signal() -> None:
    at = 100.0
    timelines = [
        tl("a", [95.0, 101.0], [95.1, 101.2]),  # caught up 1.2 s after
        tl("b", [99.0, 104.0, 108.0], [99.1, 109.5]),  # its 104 signal was done at 109.5
        tl("c", [90.0], [90.1], closed=95.0),  # closed before: not counted
        tl("d", [98.0], [98.1], closed=102.0),  # open at 100, no later signal
    ]
    out = fit.recovery(timelines, at)
    assert out["recovery_s"] == 9.5
    assert out["open"] == 3
    assert out["caught_up"] == 2
    assert out["no_later_signal"] == 1
    assert out["never"] == 0


def test_recovery_is_none_when_a_later_signal_was_never_processed() -> None:
    out = fit.recovery([tl("a", [101.0], []), tl("b", [101.0], [101.5])], 100.0)
    assert out["recovery_s"] is None
    assert out["never"] == 1


def test_sustainable_rate_keeps_quota_use_at_the_share() -> None:
    # 90 % of 1000 per 600 s is 1.5 calls/s; 0.1 of them shared, 3.5 per session.
    rate = fit.sustainable_rate(3.5, 0.1)
    assert rate == pytest.approx(0.4)
    assert rate is not None and rate * 3.5 + 0.1 == pytest.approx(0.9 * 1000 / 600)
    assert fit.sustainable_rate(3.0, 2.0) is None  # the shared calls alone exceed it
    assert fit.sustainable_rate(0.0, 0.1) is None


def test_max_in_window_slides() -> None:
    assert fit.max_in_window([0, 1, 2, 10, 11, 12, 13], 5) == 4
    assert fit.max_in_window([0, 5, 10], 5) == 1
    assert fit.max_in_window([], 5) == 0


def test_spread_gives_median_and_range_of_what_exists() -> None:
    assert fit.spread([3.0, None, 1.0, 2.0, 10.0]) == {
        "median": 2.5,
        "min": 1.0,
        "max": 10.0,
        "n": 4,
    }
    assert fit.spread([None])["n"] == 0


def test_histogram_quantile_interpolates_within_the_bucket() -> None:
    buckets = {0.01: 50.0, 0.1: 90.0, 1.0: 100.0, math.inf: 100.0}
    assert fit.histogram_quantile(buckets, 0.5) == pytest.approx(0.01)
    assert fit.histogram_quantile(buckets, 0.99) == pytest.approx(0.91)
    over = {0.1: 0.0, 1.0: 98.0, math.inf: 100.0}
    assert fit.histogram_quantile(over, 0.99) == 1.0  # in +Inf: the highest finite bound
    assert fit.histogram_quantile({}, 0.99) is None
    delta = fit.bucket_delta({0.1: 5.0, math.inf: 5.0}, {0.1: 7.0, math.inf: 9.0})
    assert delta == {0.1: 2.0, math.inf: 4.0}


def test_operators_cover_the_calls_at_the_scaled_quota() -> None:
    # One credential carries 0.9 * 1000 / 600 * scale calls per second.
    assert operators_needed(1.5, 1.0) == 1
    assert operators_needed(1.6, 1.0) == 2
    assert operators_needed(36.0, 6.0) == 4


def test_fleet_seed_gives_each_operator_its_own_points_and_credential() -> None:
    fleet = fleet_of(2, 3)
    seed = seed_json(fleet)
    ids = [p["id"] for p in seed["chargePoints"]]
    assert len(ids) == len(set(ids))
    mine = [p for p in seed["chargePoints"] if p["operator"] == "fleet02"]
    assert len(mine) == 6 and {p["type"] for p in mine} == {"ac", "dc"}
    assert any(c["clientId"] == "fleet02-client" for c in seed["credentials"])


def test_capacity_scale_keeps_the_reading_rate() -> None:
    for n in (1000, 2000, 5000, 10000):
        s = capacity_scale(n).time_scale
        assert n * s / 60 == pytest.approx(100, rel=0.01)


def step(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "open_target": 1000,
        "open_peak": 1000,
        "start_failed": 0,
        "all_final": True,
        "beyond_hard_cap": 0,
        "stop_classes": {"measured": 990, "not_budget": 10},
        "reasons": {"kwh_budget": 990, "price_budget": 10},
        "uncollected_minor_total": 0,
        "monta_429": 0,
        "stop_latency_ms": {"p99": 400.0},
    }
    return {**base, **over}


def test_a_step_holds_only_when_every_condition_holds() -> None:
    assert held(step()) == []
    assert held(step(open_peak=900)) == ["open peak 900 < 1000"]
    assert held(step(reasons={"kwh_budget": 990, "None": 10})) == [
        "10 sessions not stopped by chargepay at budget"
    ]
    assert held(step(stop_latency_ms={"p99": 2500.0})) == ["stop p99 2500.0 ms > 2000 ms"]


def test_schedule_to_start_reads_the_session_queues_workflow_tasks() -> None:
    from bench.cohort import schedule_to_start_buckets

    def line(queue: str, kind: str, part: str, le: str, v: float) -> str:
        return (
            f'task_schedule_to_start_latency_bucket{{operation="x",partition="{part}",'
            f'task_type="{kind}",taskqueue="{queue}",le="{le}"}} {v}'
        )

    text = "\n".join(
        [
            "# TYPE task_schedule_to_start_latency histogram",
            line("chargepay_sessions", "Workflow", "__normal__", "0.1", 3),
            line("chargepay_sessions", "Workflow", "__normal__", "+Inf", 4),
            line("chargepay_sessions", "Workflow", "__sticky__", "0.1", 5),
            line("chargepay_sessions", "Workflow", "__sticky__", "+Inf", 5),
            line("chargepay_sessions", "Activity", "__normal__", "0.1", 100),
            line("chargepay_background", "Workflow", "__normal__", "0.1", 100),
        ]
    )
    assert schedule_to_start_buckets(text) == {0.1: 8.0, math.inf: 9.0}


def test_merge_joins_parts_and_keeps_each_commit() -> None:
    from bench.full import merge

    a = {"date": "2026-12-06T16:00:00+00:00", "git_sha": "aaa", "git_dirty": False,
         "parts": ["rss"], "definitions": {"rss_mb_per_1000_open": "d"},
         "part_wall_s": {"rss": 10.0}, "rss_mb_per_1000_open": {"sandbox_on": 50.0}}  # fmt: skip
    b = {"date": "2026-12-06T16:10:00+00:00", "git_sha": "bbb", "git_dirty": False,
         "parts": ["one_x"], "definitions": {"one_x": "d"}, "part_wall_s": {"one_x": 20.0},
         "one_x": {"check": {}}}  # fmt: skip
    stopped = {**a, "git_sha": "ccc", "parts": ["rss", "capacity"]}  # stopped after rss
    out = merge([stopped, b])
    assert out["parts"] == ["rss", "one_x"]
    assert out["part_git_sha"] == {"rss": "ccc", "one_x": "bbb"}
    out = merge([a, b])
    assert out["parts"] == ["rss", "one_x"]
    assert out["part_git_sha"] == {"rss": "aaa", "one_x": "bbb"}
    assert out["git_sha"] == ["aaa", "bbb"]
    assert out["rss_mb_per_1000_open"] == {"sandbox_on": 50.0} and "one_x" in out
    assert out["wall_seconds"] == 30.0 and out["git_dirty"] is False
