"""Where a budget stop's latency goes, from the session's history beside Monta's truth.

For each measured session (see truth.DEFINITIONS["stop_latency_ms"]) the threshold-crossing
webhook (emulator clock) and the stop request (emulator clock) bracket three legs, timed by
the Temporal server's event times (same machine, same wall clock):

- webhook_to_signal: crossing batch POSTed -> the first signal carrying that reading (or a
  later one) is in the history: the API's verify/coalesce/signal path;
- signal_to_task: that signal -> start of the workflow task that sent the stop: the worker's
  pickup, plus any readings the session received before it decided to stop
  (`readings_before_stop` > 1 means the crossing reading did not trigger the stop);
- task_to_stop: that workflow task started -> the stop request reached Monta: the local
  activity and its HTTP call.

Every stop is the session's. One it sent before any signal carried the crossing reading
(the session read the charge itself) has no such legs and is left out (`n` counts the others).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client

from bench.stats import latency_summary
from bench.truth import KWH_MATCH, crossing_delivery
from workflows import contracts as c


@dataclass(frozen=True)
class SignalSeen:
    t: float  # server event time, epoch seconds
    kwh: float | None  # consumedKwh of the snapshot it carried


@dataclass(frozen=True)
class StopPath:
    webhook_to_signal_ms: float
    signal_to_task_ms: float
    task_to_stop_ms: float
    readings_before_stop: int


def stop_path(
    cross_t: float,
    cross_kwh: float,
    stop_t: float,
    signals: Sequence[SignalSeen],
    task_starts: Sequence[float],
) -> StopPath | None:
    """The three legs of one stop, or None when the history cannot place them."""
    reached = [s for s in signals if s.kwh is not None and s.kwh >= cross_kwh - KWH_MATCH]
    tasks = [t for t in task_starts if t <= stop_t]
    if not reached or not tasks or reached[0].t > tasks[-1]:
        return None
    first, trigger = reached[0], tasks[-1]
    return StopPath(
        webhook_to_signal_ms=(first.t - cross_t) * 1000,
        signal_to_task_ms=(trigger - first.t) * 1000,
        task_to_stop_ms=(stop_t - trigger) * 1000,
        readings_before_stop=sum(1 for s in reached if s.t <= trigger),
    )


def summary(paths: Sequence[StopPath]) -> dict[str, Any]:
    return {
        "webhook_to_signal_ms": latency_summary([p.webhook_to_signal_ms for p in paths]),
        "signal_to_task_ms": latency_summary([p.signal_to_task_ms for p in paths]),
        "task_to_stop_ms": latency_summary([p.task_to_stop_ms for p in paths]),
        "readings_before_stop": latency_summary([float(p.readings_before_stop) for p in paths]),
        "n": len(paths),
    }


def _t(event: HistoryEvent) -> float:
    return event.event_time.seconds + event.event_time.nanos / 1e9


async def _snapshot_kwh(client: Client, signaled: HistoryEvent) -> float | None:
    """consumedKwh of the snapshot a `charge_updated` signal carried (None for others)."""
    attrs = signaled.workflow_execution_signaled_event_attributes
    if attrs.signal_name != c.SIGNAL_CHARGE_UPDATED or not attrs.input.payloads:
        return None
    decoded = await client.data_converter.decode(list(attrs.input.payloads), [c.ChargeSnapshot])
    return float(decoded[0].consumed_kwh)


@dataclass
class Trace:
    """One session's events around its stop, for reading by eye (`samples` in the JSON)."""

    session_id: str
    cross_kwh: float
    kwh_budget: float
    events: list[tuple[float, str, float | None]]  # (ms after the crossing webhook, type, kWh)


async def _signals_and_tasks(
    client: Client,
    session_id: str,
    trace: Trace | None = None,
    window: tuple[float, float] = (0, 0),
) -> tuple[list[SignalSeen], list[float]]:
    history = await client.get_workflow_handle(session_id).fetch_history()
    signals, tasks = [], []
    for e in history.events:
        t, kwh = _t(e), None
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            tasks.append(t)
        elif e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            kwh = await _snapshot_kwh(client, e)
            signals.append(SignalSeen(t, kwh))
        if trace is not None and window[0] - 1 <= t <= window[1] + 0.5:
            name = EventType.Name(e.event_type).removeprefix("EVENT_TYPE_")
            trace.events.append((round((t - window[0]) * 1000, 1), name, kwh))
    return signals, tasks


async def measure(
    client: Client,
    charges: Sequence[Mapping[str, Any]],
    budgets: Mapping[str, Decimal],
    latency_s: float,
    time_scale: float,
    traces: list[Trace] | None = None,
    max_traces: int = 3,
) -> list[StopPath]:
    """Stop paths of the sessions in `budgets` (those stopped for their kWh budget); the
    first `max_traces` sessions' events around the stop go to `traces`."""
    out = []
    for charge in charges:
        sid = str(charge.get("partnerExternalId"))
        budget, stops = budgets.get(sid), sorted(charge.get("stop_requests", []))
        if budget is None or not stops:
            continue
        cross = crossing_delivery(charge, budget, latency_s, time_scale)
        if cross is None:
            continue
        cross_t, cross_kwh, stop_t = float(cross["t"]), float(cross["consumedKwh"]), float(stops[0])
        if cross_t > stop_t:
            continue
        trace = None
        if traces is not None and len(traces) < max_traces:
            trace = Trace(sid, cross_kwh, float(budget), [])
            traces.append(trace)
        signals, tasks = await _signals_and_tasks(client, sid, trace, (cross_t, stop_t))
        path = stop_path(cross_t, cross_kwh, stop_t, signals, tasks)
        if path is not None:
            out.append(path)
    return out
