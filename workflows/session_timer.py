"""The session's one timer: when it must look again although no snapshot arrived.

A timer per snapshot would add two history events (started, cancelled) to every webhook, so
one timer is kept across snapshots and only replaced by an earlier deadline. Workflow code
only (it starts a workflow timer).
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from temporalio import workflow

MIN_DELAY_S = 0.001  # a deadline already past still fires through a timer


class WakeTimer:
    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None
        self._at: datetime | None = None

    def arm(self, at: datetime) -> None:
        """Fire at `at` unless a running timer fires earlier (or at the same instant)."""
        if self._task is not None and not self._task.done():
            if self._at is not None and self._at <= at:
                return
            self._task.cancel()
        delay = max((at - workflow.now()).total_seconds(), MIN_DELAY_S)
        self._task = asyncio.create_task(workflow.sleep(delay, summary="next session deadline"))
        self._at = at

    def fired(self) -> bool:
        return self._task is not None and self._task.done()

    def forget_if_fired(self) -> None:
        """After a wake: a fired timer is spent, the next deadline arms a new one."""
        if self.fired():
            self._task, self._at = None, None
