"""Monta's snapshots on their way into the session's view, and when the lifecycle wakes.

Webhooks arrive in any order and can overtake the start's answer: snapshots wait until the
charge id is known, then each is merged forward-only (workflows/merge.py). One that changes
the view wakes the lifecycle, as does a stop request or the next deadline. Silent webhooks
are the operator's watcher's job (workflows/watcher.py): the session never polls Monta.
Workflow code only.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

from workflows.contracts import ChargeSnapshot
from workflows.merge import merge
from workflows.session_data import SessionData
from workflows.session_timer import WakeTimer


class SessionInbox:
    def __init__(self, data: SessionData, time_scale: float) -> None:
        self._data = data  # the session's own state object (never replaced within a run)
        self._time_scale = time_scale
        self._early_snapshots: list[ChargeSnapshot] = []  # before the charge id is known
        self._view_changed = False  # or a stop request, since the lifecycle last looked
        self._timer = WakeTimer()

    def receive(self, snapshot: ChargeSnapshot) -> None:
        if self._data.charge_id is None:
            self._early_snapshots.append(snapshot)
            self._view_changed = True  # a session that lost its start's answer adopts it
            return
        self.apply_snapshot(snapshot)

    def early_snapshot(self, session_id: str) -> ChargeSnapshot | None:
        """The newest snapshot of this session's charge that arrived before its charge id
        was known (Monta routes it here by partnerExternalId)."""
        ours = [s for s in self._early_snapshots if s.partner_external_id in (None, session_id)]
        return max(ours, key=lambda s: s.updated_at) if ours else None

    def charge_started(self, snapshot: ChargeSnapshot) -> None:
        """The start's answer first, then whatever overtook it."""
        self.apply_snapshot(snapshot)
        for early in self._early_snapshots:
            self.apply_snapshot(early)
        self._early_snapshots.clear()

    def apply_snapshot(self, snapshot: ChargeSnapshot) -> None:
        merged = merge(self._data.view, snapshot, self._time_scale)
        if merged is None:
            return  # older than the view or nothing new: no reason to wake
        self._data.view = merged
        self._data.last_signal_at = workflow.now()
        self._view_changed = True

    def note_hold_changed(self) -> None:
        """An increment's answer wakes the lifecycle too: the budget may have moved."""
        self._view_changed = True

    def note_stop_request(self) -> None:
        """A stop request wakes the lifecycle as a changed view does: it decides again."""
        self._view_changed = True

    async def wait_for(self, wake_at: datetime | None) -> None:
        """Until `wake_at`, a changed view or a stop request. Waking early is harmless: the
        lifecycle decides again."""
        if wake_at is not None:
            self._timer.arm(wake_at)
        self._view_changed = False
        await workflow.wait_condition(lambda: self._view_changed or self._timer.fired())
        self._timer.forget_if_fired()
