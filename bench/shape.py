"""What a session's history is made of: activities per queue, signals, timers, updates."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent


@dataclass(frozen=True)
class Shape:
    """Mean per-session counts a bare workflow repeats with no-op bodies (rounded)."""

    session_activities: int  # activities on the session task queue (payments)
    side_activities: int  # activities on other queues (the operator's Monta queue)
    signals: int
    timers: int  # started
    events: int
    timers_fired: int = 0


# (event type name, task queue of an ActivityTaskScheduled or "")
EventRow = tuple[str, str]


def rows(events: Iterable[HistoryEvent]) -> list[EventRow]:
    out = []
    for e in events:
        name = EventType.Name(e.event_type).removeprefix("EVENT_TYPE_")
        queue = ""
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            queue = e.activity_task_scheduled_event_attributes.task_queue.name
        out.append((name, queue))
    return out


def count(history: Sequence[EventRow], session_queue: str) -> Counter[str]:
    c: Counter[str] = Counter()
    for name, queue in history:
        if name == "ACTIVITY_TASK_SCHEDULED":
            c["session_activities" if queue == session_queue else "side_activities"] += 1
        elif name == "WORKFLOW_EXECUTION_SIGNALED":
            c["signals"] += 1
        elif name == "TIMER_STARTED":
            c["timers"] += 1
        elif name == "TIMER_FIRED":
            c["timers_fired"] += 1
        c["events"] += 1
    return c


def mean_shape(histories: Sequence[Sequence[EventRow]], session_queue: str) -> Shape:
    if not histories:
        return Shape(0, 0, 0, 0, 0)
    total: Counter[str] = Counter()
    for h in histories:
        total += count(h, session_queue)
    n = len(histories)

    def avg(key: str) -> int:
        return round(total[key] / n)

    return Shape(
        session_activities=avg("session_activities"),
        side_activities=avg("side_activities"),
        signals=avg("signals"),
        timers=avg("timers"),
        events=avg("events"),
        timers_fired=avg("timers_fired"),
    )
