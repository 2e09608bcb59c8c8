"""Reading the Temporal server's request counters and putting the two sides side by side."""

from __future__ import annotations

from typing import Any

from bench import server_requests as sr
from bench.report import _server_lines
from bench.throughput import pooled

EXPOSITION = """\
# HELP service_requests service_requests counter
# TYPE service_requests counter
service_requests{namespace="default",operation="SignalWorkflowExecution",service_name="frontend"} 30
service_requests{namespace="default",operation="SignalWorkflowExecution",service_name="history"} 30
service_requests{namespace="default",operation="PollWorkflowTaskQueue",service_name="frontend"} 5
# HELP persistence_requests persistence_requests counter
# TYPE persistence_requests counter
persistence_requests{operation="UpdateWorkflowExecution",service_name="history"} 40
persistence_requests{operation="UpdateWorkflowExecution",service_name="matching"} 2
# HELP visibility_persistence_requests visibility_persistence_requests counter
# TYPE visibility_persistence_requests counter
visibility_persistence_requests{operation="UpsertWorkflowExecution",service_name="history"} 7
# HELP cache_requests cache_requests counter
# TYPE cache_requests counter
cache_requests{operation="HistoryCacheGetOrCreate",service_name="history"} 99
"""


def test_parse_keeps_frontend_rpcs_and_sums_store_operations() -> None:
    assert sr.parse(EXPOSITION) == {
        "rpc:SignalWorkflowExecution": 30.0,  # history's pass of the same call is not counted
        "rpc:PollWorkflowTaskQueue": 5.0,
        "db:UpdateWorkflowExecution": 42.0,
        "visibility:UpsertWorkflowExecution": 7.0,
    }


def test_windows_add_up_and_a_missing_read_gives_no_figure() -> None:
    first = sr.spent({"rpc:A": 10.0}, {"rpc:A": 30.0, "db:B": 4.0})
    second = sr.spent({"rpc:A": 30.0, "db:B": 4.0}, {"rpc:A": 40.0, "db:B": 4.0})
    assert first == {"db:B": 4.0, "rpc:A": 20.0} and second == {"rpc:A": 10.0}
    assert sr.per_session(sr.total([first, second]), 10) == {"db:B": 0.4, "rpc:A": 3.0}
    assert sr.spent(None, {"rpc:A": 1.0}) is None
    assert sr.total([first, None]) is None and sr.per_session(None, 10) is None


def test_side_by_side_puts_the_largest_gap_first_and_drops_trifles() -> None:
    ours = {"rpc:Signal": 7.0, "db:Update": 34.5, "visibility:Upsert": 6.0, "rpc:Rare": 0.01}
    bare = {"rpc:Signal": 7.0, "db:Update": 25.1, "visibility:Upsert": 1.0, "rpc:Start": 1.0}
    both = sr.side_by_side(ours, bare)
    assert list(both) == ["db:Update", "visibility:Upsert", "rpc:Signal", "rpc:Start"]
    assert both["rpc:Start"] == [0.0, 1.0]
    line = _server_lines({"server_requests_per_session": both})[1]
    assert line.startswith("Temporal server per completed session (ours vs bare, from its /")
    assert "db:Update 34.5 vs 25.1" in line
    assert _server_lines({}) == []


def test_pooled_rounds_add_their_server_counts() -> None:
    def loop(counts: dict[str, float] | None) -> dict[str, Any]:
        figures = {"sessions": 10, "completed": 10, "seconds": 1.0, "cpu_busy": None}
        return {**figures, "cpu_s": {}, "server_requests": counts}

    assert pooled([loop({"rpc:A": 5.0}), loop({"rpc:A": 7.0})])["server_requests"] == {
        "rpc:A": 12.0
    }
    assert pooled([loop({"rpc:A": 5.0}), loop(None)])["server_requests"] is None
