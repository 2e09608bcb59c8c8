"""Which webhook snapshots are worth a workflow signal (DESIGN: "coalesced, signal only on a
meaningful change").

Monta sends a snapshot per charge every meter sample; signalling each one costs the session
a workflow task and history events and, at scale, floods Temporal. The session projects its
price budget and deadlines with its own timers, so it only needs: a new state, a newly set
end/failure instant, its first kWh, every update near the charge's hard cap (the soft kWh
budget sits just below `kwhLimit`), and any reading that would otherwise leave its view
behind Monta's by `max_lag` or more (CHARGEPAY_VIEW_MAX_LAG_S, measured on Monta's own
`updatedAt`, so neither our clock nor a replica's memory matters); once the charge winds
down (stopping → released), only `completed` or a failure. Everything else is
acknowledged and dropped; the next meaningful update (or the watcher) carries the state.
Nothing here decides anything for the session: losing the ledger costs extra signals only.

`should_signal` is pure; `SignalLedger` is the per-process, bounded memory of what was last
signalled per charge (only recorded once Temporal accepted the signal).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from core.lru import Lru
from workflows.budget import near_cap
from workflows.contracts import CHARGE_WINDING_DOWN, ChargeSnapshot

# Why a snapshot reaches the session: the `reason` label of the signals metric.
SignalReason = Literal[
    "first",
    "state",
    "ended",
    "first_energy",
    "near_cap",
    "no_cap",
    "interval",
]
_END_FIELDS = ("failed_at", "timeout_at", "completed_at", "stopped_at")
# Once told the charge winds down, the session only waits for `completed` (or its settle
# deadline); the steps in between arrive together with the next charges' crossings.
WINDING_DOWN = CHARGE_WINDING_DOWN


@dataclass(frozen=True)
class CoalescePolicy:
    near_cap_ratio: Decimal  # consumedKwh / kwhLimit from which every update is signalled
    max_lag: timedelta  # wall time: how far the session's view may trail Monta's updatedAt


@dataclass(frozen=True)
class Signalled:
    """What the session was last told about one charge."""

    state: str
    consumed_kwh: Decimal
    updated_at: datetime
    ended: frozenset[str]

    @classmethod
    def of(cls, snap: ChargeSnapshot) -> Signalled:
        return cls(snap.state, snap.consumed_kwh, snap.updated_at, _ended(snap))


def _ended(snap: ChargeSnapshot) -> frozenset[str]:
    return frozenset(f for f in _END_FIELDS if getattr(snap, f) is not None)


def should_signal(
    snap: ChargeSnapshot, last: Signalled | None, policy: CoalescePolicy
) -> SignalReason | None:
    """Why `snap` must reach the session, or None: acknowledge and drop it."""
    if last is None:
        return "first"
    if snap.updated_at < last.updated_at:
        return None  # stale or replayed: the session already has something newer
    newer = snap.updated_at > last.updated_at or snap.consumed_kwh > last.consumed_kwh
    lagging = snap.updated_at - last.updated_at >= policy.max_lag
    if snap.state in WINDING_DOWN and last.state in WINDING_DOWN:
        return "interval" if newer and lagging else None
    if snap.state != last.state:
        return "state"
    if _ended(snap) - last.ended:
        return "ended"
    if not newer:
        return None  # the same snapshot again
    if last.consumed_kwh <= 0 < snap.consumed_kwh:
        return "first_energy"
    if snap.kwh_limit is None:
        return "no_cap"  # cannot tell how close the cap is: never hold it back
    if near_cap(snap.consumed_kwh, snap.kwh_limit, policy.near_cap_ratio):
        return "near_cap"
    if lagging:
        return "interval"
    return None


class SignalLedger:
    """Per-process LRU: charge id -> what was last signalled. Losing an entry (eviction,
    restart, another replica) only costs one extra signal."""

    def __init__(self, max_charges: int) -> None:
        self._last: Lru[int, Signalled] = Lru(max_charges)

    def get(self, charge_id: int) -> Signalled | None:
        return self._last.get(charge_id)

    def record(self, snap: ChargeSnapshot) -> None:
        self._last.put(snap.charge_id, Signalled.of(snap))

    def note_known(self, charge_id: int, known: Signalled) -> None:
        """What the session is known to have without a signal from here (its own answer);
        never over a record of this process's own."""
        if charge_id not in self._last:
            self._last.put(charge_id, known)

    def __len__(self) -> int:
        return len(self._last)
