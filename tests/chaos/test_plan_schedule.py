"""The seeded plan and fault timeline: a seed replays them exactly, and they say what the
issue asks for (kill cadence, one Temporal restart, the blackout, the fault rates)."""

from __future__ import annotations

import json
from typing import Any

from bench.chaos import params as presets
from bench.chaos.plan import MIX, build_plan, charge_points_of
from bench.chaos.schedule import build_schedule, monta_spec


def test_a_seed_replays_the_same_sessions_and_faults() -> None:
    p = presets.quick(7)
    assert build_plan(7, 60, p.launch_window_s) == build_plan(7, 60, p.launch_window_s)
    assert build_schedule(p) == build_schedule(presets.quick(7))
    assert build_plan(8, 60, p.launch_window_s) != build_plan(7, 60, p.launch_window_s)
    assert build_schedule(presets.quick(8)) != build_schedule(p)


def test_the_plan_mixes_every_kind_and_logs_no_card_number() -> None:
    plans = build_plan(3, 300, 400.0)
    assert {pl.kind for pl in plans} == set(MIX)
    assert len({pl.session_id for pl in plans}) == 300
    for pl in plans:
        assert pl.charge_point_id in charge_points_of(pl.operator, 300)
        assert 0.0 <= pl.start_at_s <= 400.0
        text = json.dumps(pl.public())
        if pl.card_number:
            assert pl.card_number not in text


def test_worker_is_killed_every_10_to_20_seconds_and_temporal_restarts_once() -> None:
    p = presets.full(11)
    events = build_schedule(p)
    kills = [e.at_s for e in events if e.kind == "kill_worker"]
    gaps = [b - a for a, b in zip([0.0, *kills], kills, strict=False)]
    assert kills and all(10.0 <= g <= 20.0 for g in gaps)
    assert p.fault_window_s - kills[-1] <= 20.0
    assert [e.kind for e in events].count("restart_temporal") == 1
    assert any(e.kind == "kill_api" for e in events)
    assert events[-1].kind == "clear_faults" and events[-1].at_s == p.fault_window_s


def test_the_blackout_lasts_its_length() -> None:
    p = presets.quick(5)
    flips = [e for e in build_schedule(p) if "blackout" in e.args]
    on, off = flips
    assert on.args["blackout"] is True and off.args["blackout"] is False
    assert abs(off.at_s - on.at_s - p.blackout_s) < 0.02


def kinds_of(spec: dict[str, Any]) -> list[tuple[str, str]]:
    return [(r["operation"], r["kind"]) for r in spec["http"]]


def test_monta_fault_spec_rates() -> None:
    spec = monta_spec(1, burst_429=True, blackout=False)
    kinds = kinds_of(spec)
    assert ("start-charge", "429") in kinds and ("stop-charge", "429") in kinds
    assert not any(k == "429" and "token" in op for op, k in kinds)
    assert not any(k == "429" for _, k in kinds_of(monta_spec(1)))
    assert ("start-charge", "commit_then_drop") in kinds
    assert ("stop-charge", "commit_then_drop") in kinds
    assert spec["webhooks"]["drop_rate"] == 0.3
    assert monta_spec(1, blackout=True)["webhooks"]["drop_rate"] == 1.0


def test_the_stuck_deadline_is_the_settle_timer_plus_capture_margin_at_scale() -> None:
    p = presets.quick(1)
    expected = (p.settle_timeout_real_s + p.capture_margin_real_s) / p.time_scale
    assert p.stuck_deadline_s == expected
    assert p.describe()["stuck_deadline_s"] == round(expected, 1)


def test_quick_and_full_runs_of_one_seed_keep_separate_files() -> None:
    assert presets.full(3).stem == "chaos-3"
    assert presets.quick(3).stem == "chaos-quick-3"
