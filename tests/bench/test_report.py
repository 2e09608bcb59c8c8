"""Monta call attribution, history shape and the results schema/targets (pure)."""

from __future__ import annotations

from typing import Any

from bench.calls import calls_per_session, count_429, in_window
from bench.report import (
    REQUIRED_KEYS,
    _signal_lines,
    load_figures,
    missing_keys,
    rss_per_1000,
    targets,
)
from bench.shape import count, mean_shape
from bench.throughput import pooled
from bench.truth import DEFINITIONS, Outcome


def req(t: float, path: str, status: int = 200, client: str = "alpha-client") -> dict[str, Any]:
    return {"t": t, "client_id": client, "path": path, "status": status, "operation": path}


def test_calls_are_windowed_attributed_and_429s_counted() -> None:
    log = [
        req(1, "/api/v1/charge-points/301"),
        req(2, "/api/v1/charges"),
        req(2.5, "start-charge"),
        req(3, "/api/v1/charges/11/stop"),
        req(4, "/api/v1/charges/11", status=429),
        req(5, "/api/v1/charges/12/stop"),
        req(6, "/api/v1/charges/12/stop", client="limited-client"),
        req(99, "/api/v1/charges/12"),
    ]
    window = in_window(log, "alpha-client", 0, 10)
    assert len(window) == 6
    got = calls_per_session(window, {11: "s1", 12: "s2"}, {301: "s1"}, sessions=2)
    assert got["mean"] == 3
    assert got["max"] == 3 + 1  # s1: 3 by path + the 2 unattributed shared out
    assert got["unattributed"] == 2
    # own: 4 by path + the start; shared: the charges listing
    assert (got["own_mean"], got["shared_mean"]) == (2.5, 0.5)
    assert count_429(window) == 1


def test_history_shape_counts_queues_signals_timers() -> None:
    h = [
        ("WORKFLOW_EXECUTION_STARTED", ""),
        ("ACTIVITY_TASK_SCHEDULED", "sessions"),
        ("ACTIVITY_TASK_SCHEDULED", "monta-alpha"),
        ("WORKFLOW_EXECUTION_SIGNALED", ""),
        ("TIMER_STARTED", ""),
    ]
    c = count(h, "sessions")
    assert (c["session_activities"], c["side_activities"], c["signals"], c["timers"]) == (
        1,
        1,
        1,
        1,
    )
    assert mean_shape([h, h[:2]], "sessions").events == round((5 + 2) / 2)


def outcome(ms: float | None, overshoot: float, uncollected: int = 0) -> Outcome:
    from_meter = None if ms is None else ms + 30.0
    return Outcome(
        "s", "ac", "measured", ms, from_meter, ms, overshoot, False, True, 0.95, uncollected
    )


def test_schema_has_every_required_key_and_targets_judge_it() -> None:
    load = load_figures(
        [outcome(80.0, 0.05), outcome(120.0, 0.08)],
        floor_ms=[60.0, 100.0],
        calls=[{"total": 8, "max": 4}],
        monta_429=0,
        history_events=[150, 180],
        rss_per_1000=rss_per_1000(100.0, (100, 120.0)),
    )
    assert load["worker_rss_mb_per_1000_open"] == 200.0
    doc = {
        "date": "d",
        "machine": {},
        "git_sha": "x",
        **load,
        "throughput": {"sessions_per_s": 8.0, "baseline_per_s": 10.0, "ratio": 0.8},
        "webhook_ingest": {"api_signals_per_s": 50.0, "raw_signals_per_s": 100.0, "ratio": 0.5},
        "cpu_ms_per_session": {"ours": {}, "bare": {}},
        "view_signals_per_session": {"total": 0.0, "by_reason": {}},
        "definitions": DEFINITIONS,
        "phases": [
            {**load, "name": "open-100", "sessions": 100},
            {**load, "name": "open-10", "sessions": 10, "stop_latency_vs_floor": 1.5},
        ],
    }
    assert missing_keys(doc) == []
    assert missing_keys({}) == list(REQUIRED_KEYS)
    assert load["stop_latency_from_meter_ms"]["p99"] == 150.0
    assert load["stop_latency_vs_floor"] == 1.2  # 120 / 100, same phase
    t = targets(doc)
    assert t["stop_latency_p99_at_100_open"]["met"] is True  # 120 <= 150
    # judged at every load: the 10-open phase misses, so the target does
    floor = t["stop_latency_vs_floor"]
    assert [r["met"] for r in floor["value"]] == [True, False]
    assert floor["met"] is False
    # a stop the hard cap beat is a miss even when the stops that came were fast
    beaten = {**doc["phases"][0], "stop_classes": {"measured": 1, "not_budget": 1}}
    t = targets({**doc, "phases": [beaten]})
    assert t["stop_latency_vs_floor"]["value"][0]["stops_not_measured"] == 1
    assert t["stop_latency_vs_floor"]["met"] is False
    assert t["stop_latency_p99_at_100_open"]["met"] is False
    assert t["throughput_ratio"]["met"] is True
    assert t["webhook_ingest_ratio"]["met"] is False
    assert t["monta_calls_per_session"]["met"] is False  # max 4
    assert t["history_events_per_session"]["met"] is True


def test_latest_md_says_why_each_phase_was_signalled() -> None:
    phases = [
        {"name": "open-100-ac", "webhook_signals_per_session": {"interval": 5.0, "first": 1.0}},
        {"name": "open-10-ac", "webhook_signals_per_session": {}},
    ]
    assert _signal_lines(phases) == [
        "",
        "Webhook signals per session, by why they were news: open-100-ac: interval 5, first 1.",
    ]
    assert _signal_lines([{"name": "x"}]) == []


def test_throughput_rounds_pool_per_side() -> None:
    def loop(completed: int, seconds: float, busy: float, worker_s: float) -> dict[str, Any]:
        return {
            "sessions": completed,
            "completed": completed,
            "seconds": seconds,
            "cpu_busy": busy,
            "cpu_s": {"temporal": 1.0, "worker": worker_s},
        }

    both = pooled([loop(100, 10.0, 0.9, 2.0), loop(50, 10.0, 0.5, 1.0)])
    assert both["completed"] == 150 and both["seconds"] == 20.0 and both["per_s"] == 7.5
    assert both["cpu_busy"] == 0.7  # weighted by duration
    assert both["cpu_s"] == {"temporal": 2.0, "worker": 3.0}
    assert both["cpu_ms_per_session"] == {"temporal": 13.3, "workers": 20.0}


def test_cpu_roles_put_every_replica_and_nginx_in_their_own() -> None:
    from bench.throughput import role_of

    names = ["api", "api-2", "nginx", "worker", "worker-2", "temporal", "monta-emulator"]
    assert [role_of(n) for n in [*names, "bench", "probe-worker-ab"]] == [
        "api", "api", "nginx", "workers", "workers", "temporal", "emulators", "driver", "workers"
    ]  # fmt: skip
