"""The increment cells' guard against UTC midnight (tests/faults/increment_cell.py): a
card-present hold grows only on the day it was created, so a cell that would straddle
midnight waits for it. CI once ran the declined cell across midnight and saw `scheme_rule`."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.faults.increment_cell import CELL_SPAN_S, wait_out_midnight


def test_a_cell_close_to_midnight_waits_until_just_after_it() -> None:
    slept: list[float] = []
    at = datetime(2026, 12, 6, 23, 58, 0, tzinfo=UTC)
    assert wait_out_midnight(now=at, sleep=slept.append) == 121.0
    assert slept == [121.0]


def test_a_cell_with_time_to_spare_starts_at_once() -> None:
    slept: list[float] = []
    at = datetime(2026, 12, 6, 23, 50, 0, tzinfo=UTC)
    assert CELL_SPAN_S < 600
    assert wait_out_midnight(now=at, sleep=slept.append) == 0.0 and slept == []
