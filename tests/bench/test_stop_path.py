"""The legs of a budget stop's latency, placed from signal and workflow-task times."""

from __future__ import annotations

import pytest

from bench.stop_path import SignalSeen, stop_path


def test_crossing_reading_triggers_the_stop() -> None:
    signals = [SignalSeen(9.0, 5.0), SignalSeen(10.05, 7.0), SignalSeen(10.5, 7.2)]
    path = stop_path(10.0, 7.0, 10.2, signals, task_starts=[9.01, 10.1, 10.6])
    assert path is not None
    assert path.webhook_to_signal_ms == pytest.approx(50)
    assert path.signal_to_task_ms == pytest.approx(50)
    assert path.task_to_stop_ms == pytest.approx(100)
    assert path.readings_before_stop == 1


def test_a_later_reading_triggered_it() -> None:
    """The session saw the crossing reading but stopped only on the next one."""
    signals = [SignalSeen(10.1, 7.0), SignalSeen(10.6, 7.3)]
    path = stop_path(10.0, 7.0, 10.7, signals, task_starts=[10.15, 10.65])
    assert path is not None
    assert path.signal_to_task_ms == pytest.approx(550)
    assert path.readings_before_stop == 2


def test_unplaceable_without_the_reading_or_a_task() -> None:
    assert stop_path(10.0, 7.0, 10.7, [SignalSeen(10.1, 6.0)], [10.15]) is None
    assert stop_path(10.0, 7.0, 10.7, [SignalSeen(10.1, 7.0)], []) is None
    # The only reading past the threshold arrived after the stop went out.
    assert stop_path(10.0, 7.0, 10.7, [SignalSeen(10.8, 7.0)], [10.2]) is None
