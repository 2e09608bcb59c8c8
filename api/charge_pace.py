"""How soon a charge reaches its session's soft kWh budget, as one API process can tell.

Without it the API signals every webhook reading from `webhook_near_cap_ratio` of kwhLimit
on (about six readings per charge before the session stops, all in the seconds when many
charges end together). The session's stop falls due at the first reading where
`consumedKwh + kW * stop latency` reaches its budget; the API needs to pass on only the
readings from shortly before that. It can, for the charges whose budget it learnt when it
started their session (`expect`), once it has seen the charge's energy rise twice (the
rate). Otherwise (another replica started it, a restart emptied the book, the first
readings) the ratio rule applies unchanged. Losing an entry only costs signals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from core.lru import Lru
from workflows.contracts import ChargeSnapshot

# Readings ahead: the one before the stop-due reading is signalled too, so the session
# derives the charger's power from two consecutive readings (workflows/merge.py) as this
# module does, and its own kWh rule fires at the same reading. (Two ahead, as before
# 2026-11-24, sent one more signal per session into the seconds its stop falls due.)
GAPS_AHEAD = 1


@dataclass(frozen=True)
class Reading:
    kwh: Decimal
    at: datetime  # Monta's updatedAt


@dataclass(frozen=True)
class Pace:
    """A charge's soft budget and how fast it was last drawing towards it."""

    kwh_budget: Decimal
    kwh_per_s: Decimal
    gap_s: Decimal  # wall seconds between its last two rising readings


@dataclass
class _Entry:
    kwh_budget: Decimal
    before: Reading | None = None  # the rising reading before `last`
    last: Reading | None = None


def pace_between(before: Reading, last: Reading, kwh_budget: Decimal) -> Pace | None:
    gap = Decimal(str((last.at - before.at).total_seconds()))
    if gap <= 0 or last.kwh <= before.kwh:
        return None
    return Pace(kwh_budget, (last.kwh - before.kwh) / gap, gap)


def due_soon(snap: ChargeSnapshot, pace: Pace, stop_latency_s: float) -> bool:
    """Could the session's stop fall due before the reading after the next one arrives?"""
    horizon = Decimal(str(stop_latency_s)) + GAPS_AHEAD * pace.gap_s
    return snap.consumed_kwh + pace.kwh_per_s * horizon >= pace.kwh_budget


def stop_due(kwh: Decimal, pace: Pace, stop_latency_s: float) -> bool:
    """The session's own kWh rule (workflows/decide.py) at this reading and pace: consumed
    plus what the charger draws while the stop travels reaches the budget."""
    return kwh + pace.kwh_per_s * Decimal(str(stop_latency_s)) >= pace.kwh_budget


class PaceBook:
    """Per-process LRU: charge id -> the session's kWh budget and its last rising readings."""

    def __init__(self, max_charges: int) -> None:
        self._entries: Lru[int, _Entry] = Lru(max_charges)

    def expect(self, charge_id: int, kwh_budget: Decimal) -> None:
        """The session owning `charge_id` stops at `kwh_budget` (told at its start)."""
        entry = self._entries.get(charge_id)
        if entry is None:
            self._entries.put(charge_id, _Entry(kwh_budget))
        else:
            entry.kwh_budget = kwh_budget

    def observe(self, snap: ChargeSnapshot) -> Pace | None:
        """Note a webhook reading (signalled or not); the pace if budget and rate are known."""
        entry = self._entries.get(snap.charge_id)
        if entry is None:
            return None  # not a session this process started: nothing to learn
        last = entry.last
        if last is None or (snap.consumed_kwh > last.kwh and snap.updated_at > last.at):
            entry.before, entry.last = last, Reading(snap.consumed_kwh, snap.updated_at)
        if entry.before is None or entry.last is None:
            return None
        return pace_between(entry.before, entry.last, entry.kwh_budget)

    def __len__(self) -> int:
        return len(self._entries)
