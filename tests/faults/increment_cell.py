"""Drive an increment cell: a card-present session with increments on, the cell's fault at
the acquirer's increment. Once the session has grown its hold, the terminal stops it; a
session whose increment failed is left to stop itself at the hold it has."""

from __future__ import annotations

from typing import Any

from tests.faults.drive import SessionCell
from tests.faults.lanes import LaneStack
from tests.faults.observation import Observation
from workflows.contracts import FINAL_STATES

# A bound that only guards a broken run: the increment is asked about a minute in, and an
# unanswered one gives up 45 s later.
INCREMENT_BOUND_S = 180.0


def run_increment_cell(lane: LaneStack, cell: Any) -> Observation:
    return IncrementCell(lane, cell).run()


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
