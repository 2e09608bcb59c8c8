"""The stacks the cells run on: one per lane, each with the settings its cells need, run
side by side in threads (most of a cell is waiting out retries), cells one after another
within a lane so that each fault rule only ever meets its own session's calls."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from devstack.operators_file import write_operators_file
from tests.api.stack import RunningStack, running_stack
from tests.faults.cells import CELLS, Cell, Lane
from tests.faults.increment_cells import INCREMENT_ENV, INCREMENT_OPERATORS
from tests.faults.observation import Observation

SCALE = 120.0
EXTRA_POINTS = 40  # fresh charge points (100001..): no cell inherits another's charge
FIRST_EXTRA_POINT = 100001
NEVER = "1000000000"  # a real-world interval no cell lives to see

COMMON_ENV = {
    # Short client deadlines so a fault of LATE_S (cells.py) outlasts them.
    "CHARGEPAY_MONTA_TIMEOUT_S": "2",
    "CHARGEPAY_PAYMENTS_TIMEOUT_S": "2",
    # Reconciliation also reads GET /charges and voids holds: only the cells run it.
    "CHARGEPAY_RECONCILE_INTERVAL_S": NEVER,
    # How long an unanswering acquirer is retried (wall-clock seconds, never scaled): past
    # a payment attempt's 30 s start-to-close, so a SIGKILLed worker's attempt is retried.
    "CHARGEPAY_PAYMENT_VERIFY_DEADLINE_S": "45",
    "CHARGEPAY_PAYMENT_RETRY_WINDOW_S": "45",
    # A flagged capture or void the acquirer did not answer is retried this often.
    "CHARGEPAY_PAYMENT_RETRY_INTERVAL_S": "5",
}
QUIET_WATCHER = {
    # The find and the watcher's poll are the same operation (get-charges): a silent
    # watcher leaves every find fault to the session's own lookup.
    "CHARGEPAY_WATCHER_INTERVAL_S": NEVER,
    "CHARGEPAY_WATCHER_FAST_INTERVAL_S": NEVER,
    "CHARGEPAY_WATCHER_SLOW_INTERVAL_S": NEVER,
}
# Webhooks dropped: the watcher's polls are the session's only feed.
DROP_WEBHOOKS: dict[str, Any] = {"enabled": True, "drop_rate": 1.0}


@dataclass(frozen=True)
class LaneSpec:
    env: Mapping[str, str] = field(default_factory=dict)
    monta_env: Mapping[str, str] = field(default_factory=dict)
    webhooks: Mapping[str, Any] | None = None
    # Settings added to operators' tables (config/operators.toml) for this lane's stack.
    operators: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


LANES: dict[Lane, LaneSpec] = {
    "payments": LaneSpec(),
    "start": LaneSpec(env=QUIET_WATCHER),
    # A car that never plugs in outlasts the session's start timeout (300 s): the session
    # decides `no_energy` while Monta still waits for the car.
    "stop": LaneSpec(monta_env={"MONTA_EMU_PLUG_TIMEOUT_S": "600"}),
    # Polls are the only feed here: a longer start timeout keeps a late first reading from
    # ending the session as `no_energy` before the terminal's stop.
    "watcher": LaneSpec(env={"CHARGEPAY_START_TIMEOUT_S": "3600"}, webhooks=DROP_WEBHOOKS),
    # Increments on for the cells' operator (tests/faults/increment_cells.py).
    "increments": LaneSpec(env=INCREMENT_ENV, operators=INCREMENT_OPERATORS),
}


@dataclass
class LaneStack:
    """One lane's stack and what its cells share: a terminal key, fresh charge points."""

    name: Lane
    spec: LaneSpec
    stack: RunningStack
    terminal: str = field(default_factory=lambda: f"F{uuid.uuid4().hex[:6]}")
    _next_point: int = FIRST_EXTRA_POINT
    _key: str | None = None

    def key(self, cps: list[int]) -> str:
        """A terminal key for every point this lane may use (created once)."""
        if self._key is None:
            self._key = self.stack.new_key(self.terminal, cps)
        return self._key

    def fresh_point(self) -> int:
        point = self._next_point
        self._next_point += 1
        return point

    def set_faults(self, monta: list[dict[str, Any]], acquirer: list[dict[str, Any]]) -> None:
        s = self.stack.stack
        body: dict[str, Any] = {"http": monta}
        if self.spec.webhooks is not None:
            body["webhooks"] = dict(self.spec.webhooks)
        httpx.put(f"{s.monta_url}/_emulator/faults", json=body, timeout=10).raise_for_status()
        httpx.put(
            f"{s.payments_url}/_emulator/faults", json={"rules": acquirer}, timeout=10
        ).raise_for_status()

    def clear_faults(self) -> None:
        self.set_faults([], [])


def lane_points() -> list[int]:
    fixed = [c.cp for c in CELLS if c.cp is not None]
    extra = range(FIRST_EXTRA_POINT, FIRST_EXTRA_POINT + EXTRA_POINTS)
    return sorted({*fixed, *extra})


RunCell = Callable[[LaneStack, Cell], Observation]


def run_lane(
    name: Lane,
    cells: list[Cell],
    futures: Mapping[str, Future[Observation]],
    log_dir: Path,
    run_cell: RunCell,
) -> None:
    """Start the lane's stack, run its cells in order, resolve each cell's future."""
    spec = LANES[name]
    env = COMMON_ENV | dict(spec.env)
    if spec.operators:
        path = log_dir / f"operators-{name}-{uuid.uuid4().hex[:6]}.toml"
        env["CHARGEPAY_OPERATORS_FILE"] = str(write_operators_file(path, spec.operators))
    try:
        with running_stack(
            log_dir,
            time_scale=SCALE,
            env=env,
            monta_env={"MONTA_EMU_EXTRA_POINTS": str(EXTRA_POINTS), **spec.monta_env},
        ) as stack:
            lane = LaneStack(name, spec, stack)
            lane.key(lane_points())
            lane.clear_faults()
            for cell in cells:
                try:
                    futures[cell.id].set_result(run_cell(lane, cell))
                except BaseException as exc:  # the cell's test reports it
                    futures[cell.id].set_exception(exc)
                    lane.clear_faults()
    except BaseException as exc:
        for cell in cells:
            if not futures[cell.id].done():
                futures[cell.id].set_exception(exc)


def start_lanes(
    cells: list[Cell], log_dir: Path, run_cell: RunCell
) -> tuple[dict[str, Future[Observation]], list[threading.Thread]]:
    futures: dict[str, Future[Observation]] = {c.id: Future() for c in cells}
    threads = []
    for name in LANES:
        mine = [c for c in cells if c.lane == name]
        if not mine:
            continue
        t = threading.Thread(
            target=run_lane,
            args=(name, mine, futures, log_dir, run_cell),
            name=f"fault-lane-{name}",
            daemon=True,
        )
        t.start()
        threads.append(t)
    return futures, threads
