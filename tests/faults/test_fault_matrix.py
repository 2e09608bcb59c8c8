"""The fault matrix: each cell drives a real session (Temporal, the worker, the API, both
emulators) with one fault injected deterministically at one step, and asserts the cell's
expected outcome exactly, beside the money invariants (tests/faults/invariants.py)."""

from __future__ import annotations

from concurrent.futures import Future

import pytest

from tests.faults import report
from tests.faults.cells import CELLS, Cell
from tests.faults.observation import Observation
from tests.faults.outcome import problems

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]
# Lanes run side by side; a cell waits for those before it in its lane.
CELL_BOUND_S = 840.0


@pytest.mark.parametrize("cell", CELLS, ids=lambda c: c.id)
def test_cell(cell: Cell, matrix: dict[str, Future[Observation]]) -> None:
    expected = cell.expect.describe()
    try:
        obs = matrix[cell.id].result(timeout=CELL_BOUND_S)
    except Exception as exc:
        report.record(cell.id, expected, f"the cell broke: {type(exc).__name__}: {exc}", "red")
        raise
    found = problems(cell, obs)
    verdict = "red" if found else "green"
    observed = obs.summary() + (f" -- {'; '.join(found)}" if found else "")
    report.record(cell.id, expected, observed, verdict)
    assert not found, f"{cell.id}: {obs.summary()}\n" + "\n".join(found)
