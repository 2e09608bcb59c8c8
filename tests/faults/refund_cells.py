"""The refund row of the fault matrix: one refund of a completed session, with one fault at
the acquirer's refund (tests/faults/refund_cell.py drives it). Whatever the first answer,
the same request again once the faults are gone answers 200, and the money goes back once:
one refund at the acquirer, one credit note, never above the capture."""

from __future__ import annotations

from typing import Any

from tests.faults.cells import KILL_WINDOW_S, LATE_S, Cell
from tests.faults.expect import Expect
from tests.support.acquirer import fault_rule

OK = "200"


def refunded_once(*first: str) -> Expect:
    """`first`: what the faulted request may answer ("<status>" or "<status> <error>")."""
    return Expect(state=frozenset(first), hold="captured", then_state=OK)


def _a(kind: Any, **kw: Any) -> dict[str, Any]:
    return fault_rule("refund", kind, **kw)


REFUND_CELLS: tuple[Cell, ...] = (
    # Refused: nothing moved, and the same key may then go through.
    Cell("refund", "4xx", "payments", "refund", refunded_once("409 refund_refused"),
         acquirer=(_a("4xx", status=400),)),
    # Unreachable for as long as the fault lasts: the refund waits in its workflow (the API
    # stops waiting), and goes through once the acquirer answers.
    Cell("refund", "5xx", "payments", "refund", refunded_once("504 refund_pending"),
         acquirer=(_a("5xx"),)),
    Cell("refund", "before_commit", "payments", "refund", refunded_once(OK),
         acquirer=(_a("timeout_before_commit", count=1, delay_s=LATE_S),)),
    Cell("refund", "after_commit", "payments", "refund", refunded_once(OK),
         acquirer=(_a("timeout_after_commit", count=1, delay_s=LATE_S),)),
    Cell("refund", "timeout_then_commit", "payments", "refund", refunded_once(OK),
         acquirer=(_a("timeout_then_commit", count=1, delay_s=LATE_S),)),
    Cell("refund", "slow", "payments", "refund", refunded_once(OK),
         acquirer=(_a("slow", count=1, delay_s=LATE_S),)),
    # The worker dies with the refund in flight: its retry on the new worker, same key.
    Cell("refund", "killed", "payments", "refund", refunded_once(OK, "504 refund_pending"),
         acquirer=(_a("slow", count=1, delay_s=KILL_WINDOW_S),), kill=("acquirer", "refund")),
)  # fmt: skip
