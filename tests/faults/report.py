"""The matrix table (cell, expected, observed, verdict): filled in by the tests, printed at
the end of the run and written to .data/fault-matrix.md."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.faults.cells import CELLS, NOT_APPLICABLE
from tests.support.processes import REPO

REPORT_FILE = REPO / ".data" / "fault-matrix.md"


@dataclass(frozen=True)
class Row:
    cell: str
    expected: str
    observed: str
    verdict: str  # green, red, N/A


ROWS: dict[str, Row] = {}


def record(cell: str, expected: str, observed: str, verdict: str) -> None:
    """Keep the row and rewrite the file: a run cut short still leaves what it saw."""
    ROWS[cell] = Row(cell, expected, observed, verdict)
    write()


def table() -> str:
    lines = [
        "| cell | verdict | expected | observed |",
        "|---|---|---|---|",
    ]
    for cell in CELLS:
        row = ROWS.get(cell.id)
        if row is not None:
            lines.append(
                f"| {row.cell} | {row.verdict} | {_esc(row.expected)} | {_esc(row.observed)} |"
            )
    for na in NOT_APPLICABLE:
        lines.append(f"| {na.id} | N/A | - | {_esc(na.why)} |")
    verdicts = [r.verdict for r in ROWS.values()]
    counts = ", ".join(f"{v} {verdicts.count(v)}" for v in ("green", "red"))
    return "\n".join([f"Fault matrix: {counts}, N/A {len(NOT_APPLICABLE)}", "", *lines])


def write(path: Path = REPORT_FILE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# Fault matrix\n\n" + table() + "\n")
    return path


def _esc(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")
