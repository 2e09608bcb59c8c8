"""The floor's pairing of each webhook POST with its stop in the emulator's request log."""

from __future__ import annotations

from bench.hook_floor import latencies, stop_arrivals


def test_each_signalled_post_takes_the_first_stop_after_it() -> None:
    log = [
        {"t": 5.0, "path": "/api/v1/charges/900000000/stop"},  # an earlier phase's stop
        {"t": 10.2, "path": "/api/v1/charges/900000000/stop"},
        {"t": 10.9, "path": "/api/v1/charges/900000001/stop"},
        {"t": 11.0, "path": "/api/v1/charges/900000001"},  # not a stop
    ]
    posts = [
        {"charge_id": 900000000, "t_post": 10.0, "status": 200, "signalled": 1},
        {"charge_id": 900000001, "t_post": 10.5, "status": 200, "signalled": 1},
        {"charge_id": 900000002, "t_post": 10.6, "status": 200, "signalled": 1},
        {"charge_id": 900000003, "t_post": 10.7, "status": 503, "signalled": 0},
        {"charge_id": 900000004, "t_post": 10.8, "status": 200, "signalled": 0},
    ]
    got = latencies(posts, stop_arrivals(log))
    assert [round(ms) for ms in got["latencies_ms"]] == [200, 400]
    assert (got["no_stop"], got["not_200"], got["not_signalled"]) == (1, 1, 1)
