"""After a capture before Monta's `completed`: the session reads its charge at a doubling
interval, up to an hour, within its watch (workflows/final_price_watch.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from workflows.contracts import SessionConfig
from workflows.final_price_watch import (
    FINAL_PRICE_READ_MAX_S,
    final_price_watch_until,
    next_read_at,
    read_interval_s,
)
from workflows.session_data import SessionData

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
CONFIG = SessionConfig(stop_retry_interval_s=60.0, completed_watch_limit_s=7 * 24 * 3600.0)


def test_reads_start_at_the_stop_retry_interval_and_double_up_to_an_hour() -> None:
    got = [read_interval_s(CONFIG, n) for n in range(8)]
    assert got == [60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 3600.0, 3600.0]
    assert read_interval_s(CONFIG, 10_000) == FINAL_PRICE_READ_MAX_S


def test_a_car_plugged_in_for_a_day_after_the_capture_costs_a_few_dozen_reads() -> None:
    elapsed, reads = 0.0, 0
    while elapsed < 24 * 3600:
        elapsed += read_interval_s(CONFIG, reads)
        reads += 1
    assert reads <= 30  # one a minute would be 1,440


def test_a_longer_retry_interval_is_never_shortened() -> None:
    slow = SessionConfig(stop_retry_interval_s=7200.0)
    assert read_interval_s(slow, 0) == 7200.0 and read_interval_s(slow, 3) == 7200.0


def test_the_watch_end_is_fixed_when_it_starts_and_bounds_every_read() -> None:
    data = SessionData()
    until = final_price_watch_until(data, CONFIG, T0)
    assert until == T0 + timedelta(days=7)
    assert final_price_watch_until(data, CONFIG, T0 + timedelta(days=1)) == until  # kept
    data.final_price_reads = 3
    assert next_read_at(data, CONFIG, T0) == T0 + timedelta(seconds=480)
    assert next_read_at(data, CONFIG, until - timedelta(seconds=5)) == until


def test_reads_follow_the_time_scale() -> None:
    fast = SessionConfig(time_scale=60.0, stop_retry_interval_s=60.0)
    data = SessionData(final_price_reads=1)
    assert next_read_at(data, fast, T0) == T0 + timedelta(seconds=2)  # 120 real s at 60x
