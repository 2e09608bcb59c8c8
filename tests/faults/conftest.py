"""The matrix's lanes start once per run (every cell's test waits for its own cell), and
the table of cells is printed at the end and written to .data/fault-matrix.md."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest
from _pytest.terminal import TerminalReporter

from tests.api.stack import worker_script
from tests.faults import report
from tests.faults.cells import CELLS, Cell
from tests.faults.drive import run_cell
from tests.faults.lanes import start_lanes
from tests.faults.observation import Observation


@pytest.fixture(scope="session")
def matrix(
    request: pytest.FixtureRequest, log_dir: Path
) -> Iterator[dict[str, Future[Observation]]]:
    if not worker_script().exists():
        pytest.skip("worker.py is missing: the real stack cannot run sessions")
    selected = _selected_cells(request.session)
    runnable = [c for c in CELLS if c.id in selected]
    futures, threads = start_lanes(runnable, log_dir, run_cell)
    yield futures
    _join(threads)


def _selected_cells(session: pytest.Session) -> set[str]:
    """The cells this run collected (`-k` may pick a few): only their lanes start."""
    ids = set()
    for item in session.items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if isinstance(params.get("cell"), Cell):
            ids.add(params["cell"].id)
    return ids


def _join(threads: list[threading.Thread]) -> None:
    for t in threads:
        t.join(timeout=120)


def pytest_terminal_summary(terminalreporter: TerminalReporter) -> None:
    if not report.ROWS:
        return
    path = report.write()
    terminalreporter.write_sep("=", "fault matrix")
    terminalreporter.write_line(report.table())
    terminalreporter.write_line(f"(written to {path})")
