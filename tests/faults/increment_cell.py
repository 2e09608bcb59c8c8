"""Drive an increment cell: a card-present session with increments on, the cell's fault at
the acquirer's increment. Once the session has grown its hold, the terminal stops it; a
session whose increment failed is left to stop itself at the hold it has."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.faults.drive import SessionCell
from tests.faults.lanes import LaneStack
from tests.faults.observation import Observation
from workflows.contracts import FINAL_STATES

# A bound that only guards a broken run: the increment is asked about a minute in, and an
# unanswered one gives up 45 s later.
INCREMENT_BOUND_S = 180.0
# A card-present hold grows only on the UTC day it was created (workflows/scheme_rules.py):
# a cell whose hold and increment straddle midnight would end as `scheme_rule`, whatever its
# fault. The increment is asked within this long of the start, the last retry included.
CELL_SPAN_S = 300.0


def run_increment_cell(lane: LaneStack, cell: Any) -> Observation:
    wait_out_midnight()
    return IncrementCell(lane, cell).run()


def wait_out_midnight(
    span_s: float = CELL_SPAN_S,
    now: datetime | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Sleep past the next UTC midnight when it is less than `span_s` away; the seconds
    slept (0 otherwise)."""
    at = now or datetime.now(UTC)
    midnight = (at + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    left = (midnight - at).total_seconds()
    if left >= span_s:
        return 0.0
    sleep(left + 1.0)
    return left + 1.0


def _increment_settled(status: dict[str, Any]) -> bool:
    return (
        status["state"] in FINAL_STATES
        or bool(status.get("increments"))
        or status.get("increments_ended") is not None
    )


class IncrementCell(SessionCell):
    def _to_the_end(self) -> None:
        now = self._wait(_increment_settled, INCREMENT_BOUND_S, quiet=True)
        if now is not None and now["state"] == "charging" and now.get("increments"):
            self.stack.stop(self.key, self.sid)
        self._wait(lambda s: s["state"] in FINAL_STATES)
