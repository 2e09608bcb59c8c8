"""Drive one cell's session through the real stack: inject the faults, start, stop once
charging, wait for the outcome, and collect the emulators' truth for it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from tests.api.support import auth
from tests.faults.cells import TARIFF_CP, Cell
from tests.faults.lanes import SCALE, LaneStack
from tests.faults.observation import Observation
from tests.faults.reconcile_cell import run_reconcile_cell
from tests.faults.refund_cell import run_refund_cell
from tests.faults.worker_kill import WorkerKiller
from tests.faults.workflow_state import workflow_failure
from workflows.contracts import FINAL_STATES, session_workflow_id

OPERATOR = "alpha"
# Bounds that only guard a broken run: the slowest green cell waits out eight Monta
# attempts (about 90 s of backoff) before its charge ends.
CHARGING_BOUND_S = 60.0
FINAL_BOUND_S = 200.0
# The tariff cache keeps a price group 300 real seconds: wait it out before a tariff cell.
TARIFF_TTL_WALL_S = 300.0 / SCALE + 0.5
FAILURE_CHECK_EVERY_S = 2.0
BEFORE_CHARGING = frozenset({"pricing", "authorizing", "starting"})


def run_cell(lane: LaneStack, cell: Cell) -> Observation:
    if cell.scenario == "reconcile":
        return run_reconcile_cell(lane, cell)
    if cell.scenario == "refund":
        return run_refund_cell(lane, cell)
    if cell.scenario == "increment":
        from tests.faults.increment_cell import run_increment_cell  # it builds on SessionCell

        return run_increment_cell(lane, cell)
    return SessionCell(lane, cell).run()


class SessionCell:
    def __init__(self, lane: LaneStack, cell: Cell) -> None:
        self.lane, self.cell, self.stack = lane, cell, lane.stack
        self.tx = f"fm_{uuid.uuid4().hex[:10]}"
        self.sid = session_workflow_id(OPERATOR, lane.terminal, self.tx)
        self.key = lane.key([])
        self.obs = Observation(cell.id, self.sid)
        self._last_failure_check = 0.0

    def run(self) -> Observation:
        cell, lane = self.cell, self.lane
        if cell.cp == TARIFF_CP:
            time.sleep(TARIFF_TTL_WALL_S)
        cp = cell.cp or lane.fresh_point()
        before = {h["id"] for h in self.stack.acquirer_truth()["holds"]}
        if cell.scenario == "no_energy":
            url = f"{self.stack.stack.monta_url}/_emulator/charge-points/{cp}"
            httpx.put(url, json={"car": {"never_plug": True}}, timeout=10).raise_for_status()
        lane.set_faults(list(cell.monta), list(cell.acquirer))
        killer = WorkerKiller(self.stack, cell.kill[0]) if cell.kill else None
        if killer:
            killer.start()
        try:
            self.obs.start_http = self.stack.start(self.key, self._body(cp)).status_code
            if cell.expect.final:
                self._to_the_end()
            else:
                self._observe_waiting()
                self._collect(before)  # the truth while it waits, before the faults go
        finally:
            if killer:
                killer.finish()
                if killer.killed_at is None:
                    self.obs.notes.append("worker never killed: the step was not reached")
            lane.clear_faults()
        if cell.expect.then_state is not None:
            waiting = self.obs.status
            self.obs.then_status = self._wait(lambda s: s["state"] in FINAL_STATES)
            self.obs.status = waiting  # the cell's expectation is about the waiting session
        if cell.expect.final:
            time.sleep(cell.late_s)
            self._collect(before)
        return self.obs

    def _body(self, cp: int) -> dict[str, Any]:
        body: dict[str, Any] = {
            "terminal_transaction_id": self.tx,
            "charge_point_id": cp,
            "amount": {"amount_minor": self.cell.amount, "currency": "EUR"},
            "card_brand": "VISA",
            "card_last4": "4242",
        }
        if self.cell.scenario == "token":
            body["payment_token"] = "tok_visa"
        else:
            self.obs.hold_ref = self.stack.place_hold(self.lane.terminal, self.cell.amount)
            body["authorization_ref"] = self.obs.hold_ref
        return body

    # -- waiting ------------------------------------------------------------------------
    def _to_the_end(self) -> None:
        if self.cell.scenario in ("card", "token"):
            # A terminal stop once energy flows ends the charge soon: the cells test the
            # faults, not how long a hold lasts.
            now = self._wait(
                lambda s: s["state"] not in BEFORE_CHARGING, CHARGING_BOUND_S, quiet=True
            )
            if now is not None and now["state"] in ("charging", "starting"):
                self.stack.stop(self.key, self.sid)
        self._wait(lambda s: s["state"] in FINAL_STATES)

    def _observe_waiting(self) -> None:
        """For a session that must wait: stop it, let it reach its waiting point, then watch
        it for `observe_s` more; the observation is what it is then."""
        if self.cell.scenario == "card":
            now = self._wait(
                lambda s: s["state"] not in BEFORE_CHARGING, CHARGING_BOUND_S, quiet=True
            )
            if now is not None and now["state"] in ("charging", "starting"):
                self.stack.stop(self.key, self.sid)
            self._wait(
                lambda s: s["state"] in FINAL_STATES or bool(s.get("attention")),
                CHARGING_BOUND_S,
                quiet=True,
            )
        deadline = time.monotonic() + self.cell.observe_s
        while time.monotonic() < deadline and self.obs.state not in FINAL_STATES:
            self._read()
            time.sleep(0.5)
        self._read()

    def _wait(
        self,
        done: Callable[[dict[str, Any]], bool],
        bound_s: float = FINAL_BOUND_S,
        quiet: bool = False,
    ) -> dict[str, Any] | None:
        """Poll the status until `done`, the workflow failed, or the bound (which only
        guards a broken run: the observation then says where the session stood)."""
        deadline = time.monotonic() + bound_s
        while time.monotonic() < deadline:
            status = self._read()
            if self.obs.workflow_failure is not None:
                return None
            if status is not None and done(status):
                return status
            time.sleep(0.25)
        if not quiet:
            self.obs.notes.append(f"still {self.obs.state} after {bound_s:.0f}s")
        return self.obs.status

    def _read(self) -> dict[str, Any] | None:
        url = f"/v1/sessions/{self.sid}"
        resp = self.stack._retry(lambda: self.stack.api.get(url, headers=auth(self.key)))
        if resp.status_code == 200:
            self.obs.status = resp.json()
            self.obs.observed_at = time.time()
        if resp.status_code != 200 or time.monotonic() - self._last_failure_check > (
            FAILURE_CHECK_EVERY_S
        ):
            self._last_failure_check = time.monotonic()
            failure = workflow_failure(self.stack.stack.temporal_address, self.sid)
            self.obs.workflow_failure = self.obs.workflow_failure or failure
        return self.obs.status if resp.status_code == 200 else None

    # -- truth ----------------------------------------------------------------------------
    def _collect(self, before: set[str]) -> None:
        self.obs.charges = [
            c for c in self.stack.monta_truth()["charges"] if c["partnerExternalId"] == self.sid
        ]
        self.obs.holds = [h for h in self.stack.acquirer_truth()["holds"] if h["id"] not in before]
