"""Merge charge snapshots forward only, and derive the charge's observed power.

Snapshots arrive from webhooks (batched, unordered, duplicated), the watcher and activity
results. The rules: a newer `updatedAt` wins, and so does a later step of the charge's end
at the same `updatedAt` (Monta can move released -> completed within one clock tick);
`consumedKwh` and `price` never go down; a timestamp once set is never unset; duplicates,
stale snapshots and other charges' snapshots are no-ops; `completed` is immutable.
Power is measured between snapshots whose kWh grew. Timestamps are wall-clock instants, so a
wall interval stands for `time_scale` times as much real time:
observed kW = ΔkWh / (Δwall s * time_scale / 3600).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from workflows.contracts import ChargeSnapshot

_TIMESTAMPS = (
    "cable_plugged_in_at",
    "started_at",
    "stopped_at",
    "completed_at",
    "fully_charged_at",
    "released_at",
    "failed_at",
    "timeout_at",
)
_KW_STEP = Decimal("0.001")
# The order in which a charge ends; a charge can go back and forth between the earlier states.
_ENDING_ORDER = ("stopping", "stopped", "releasing", "released", "completed")


class ChargeView(BaseModel):
    """What the session knows about its Monta charge, merged from every snapshot."""

    model_config = ConfigDict(frozen=True)

    snapshot: ChargeSnapshot
    power_kw: Decimal | None = None  # from the last two snapshots whose kWh grew
    energy_mark_at: datetime | None = None  # the last snapshot whose kWh grew
    energy_mark_kwh: Decimal = Decimal("0")
    paused_since: datetime | None = None  # wall instant the charge was first seen paused
    last_energy_at: datetime | None = None


def _ending_step(state: str) -> int:
    return _ENDING_ORDER.index(state) + 1 if state in _ENDING_ORDER else 0


def _is_newer(old: ChargeSnapshot, new: ChargeSnapshot) -> bool:
    if new.updated_at != old.updated_at:
        return new.updated_at > old.updated_at
    return _ending_step(new.state) > _ending_step(old.state)


def _merged_snapshot(old: ChargeSnapshot, new: ChargeSnapshot) -> ChargeSnapshot:
    updates: dict[str, object] = {
        "consumed_kwh": max(old.consumed_kwh, new.consumed_kwh),
        "price_minor": max(
            (p for p in (old.price_minor, new.price_minor) if p is not None), default=None
        ),
    }
    for name in _TIMESTAMPS:
        if getattr(new, name) is None and getattr(old, name) is not None:
            updates[name] = getattr(old, name)
    for name in ("currency", "kwh_limit", "failure_reason", "stop_reason"):
        if getattr(new, name) is None:
            updates[name] = getattr(old, name)
    return new.model_copy(update=updates)


def _power(
    view: ChargeView, merged: ChargeSnapshot, time_scale: float
) -> tuple[Decimal | None, datetime | None, Decimal]:
    """(power, energy mark instant, energy mark kWh) after taking `merged`."""
    if merged.consumed_kwh <= view.energy_mark_kwh:
        if merged.state == "charging":
            return view.power_kw, view.energy_mark_at, view.energy_mark_kwh
        # No energy flows: nothing to overshoot, and power restarts from here on resume.
        return Decimal(0), merged.updated_at, view.energy_mark_kwh
    if view.energy_mark_at is None:
        return view.power_kw, merged.updated_at, merged.consumed_kwh
    wall_s = (merged.updated_at - view.energy_mark_at).total_seconds()
    if wall_s <= 0:
        return view.power_kw, view.energy_mark_at, view.energy_mark_kwh
    hours = Decimal(str(wall_s)) * Decimal(str(time_scale)) / 3600
    kw = ((merged.consumed_kwh - view.energy_mark_kwh) / hours).quantize(_KW_STEP)
    return kw, merged.updated_at, merged.consumed_kwh


def merge(view: ChargeView | None, new: ChargeSnapshot, time_scale: float) -> ChargeView | None:
    """The view after `new`, or None when `new` changes nothing (stale, duplicate, foreign)."""
    if view is None:
        mark = new.updated_at if new.consumed_kwh > 0 else None
        return ChargeView(
            snapshot=new,
            energy_mark_at=mark,
            energy_mark_kwh=new.consumed_kwh,
            paused_since=new.updated_at if new.state == "paused" else None,
            last_energy_at=mark,
        )
    old = view.snapshot
    if new.charge_id != old.charge_id or old.state == "completed":
        return None
    if not _is_newer(old, new):
        return None
    merged = _merged_snapshot(old, new)
    power, mark_at, mark_kwh = _power(view, merged, time_scale)
    if merged.state == "paused":
        paused_since = view.paused_since or merged.updated_at
    else:
        paused_since = None
    grew = merged.consumed_kwh > old.consumed_kwh
    return ChargeView(
        snapshot=merged,
        power_kw=power,
        energy_mark_at=mark_at,
        energy_mark_kwh=mark_kwh,
        paused_since=paused_since,
        last_energy_at=merged.updated_at if grew else view.last_energy_at,
    )
