"""The increment row of the fault matrix: a card-present session with increments on for its
operator, one fault at the acquirer's increment (tests/faults/increment_cell.py drives it).

The lane's numbers (AC point, 11 kW, 45 c/kWh net + 25 % VAT, 120x): the first hold of
€25 buys 40 kWh; the session asks for one increment of €25 about 27.5 kWh (a lead of
9000 s at 11 kW) before that, so at ~12 kWh. The lead covers the increment's whole
timeout (45 wall seconds, 16.5 kWh at 120x): even an increment left unanswered ends with
room to stop at the first hold, which the session then charges to a reading short of.
45 s outlasts a payment attempt's 30 s start-to-close, so the attempt a killed worker lost
is retried under the same key within it.

Expected, whatever the fault:
- an increment that went through (or whose answer was lost) is applied at the acquirer
  once, under one key, and the session knows it: the terminal's stop then ends the session
  and it captures Monta's price, within the grown hold;
- an increment that failed (declined, unsupported, unanswered) leaves the hold as it was,
  the session stops itself at it (`kwh_budget`), captures Monta's price, within the first
  hold, and says why increments ended.
"""

from __future__ import annotations

from typing import Any

from tests.faults.cells import KILL_WINDOW_S, LATE_S, Cell, NotApplicable
from tests.faults.expect import completed
from tests.support.acquirer import fault_rule

FIRST_HOLD_MINOR = 2500
CEILING_MINOR = 10000
STEP_MINOR = 2500
INCREMENT_OPERATORS: dict[str, dict[str, int]] = {
    "alpha": {"increment_ceiling_minor": CEILING_MINOR}
}
INCREMENT_ENV = {
    "CHARGEPAY_INCREMENT_LEAD_S": "9000",
    "CHARGEPAY_INCREMENT_MIN_MINOR": str(STEP_MINOR),
    "CHARGEPAY_INCREMENT_STEP_MINOR": str(STEP_MINOR),
    "CHARGEPAY_INCREMENT_TIMEOUT_S": "45",
}

# The session's outcome; what happened to the increment is in `extra` (tests/faults/outcome.py).
GREW = completed()
STOPPED_AT_HOLD = completed(reason="kwh_budget")


def _a(kind: Any, **kw: Any) -> dict[str, Any]:
    return fault_rule("increment", kind, **kw)


def _grew() -> dict[str, Any]:
    return {"increments_applied": 1, "increments_ended": None}


def _failed(why: str) -> dict[str, Any]:
    return {"increments_applied": 0, "increments_ended": why}


def _cell(kind: str, expect: Any, rules: tuple[dict[str, Any], ...], **kw: Any) -> Cell:
    return Cell("increment", kind, "increments", "increment", expect, acquirer=rules,
                amount=FIRST_HOLD_MINOR, **kw)  # fmt: skip


INCREMENT_CELLS: tuple[Cell, ...] = (
    # Declined by the issuer: no more increments, the session stops at the first hold.
    _cell("4xx", STOPPED_AT_HOLD, (_a("4xx", status=402),), extra=_failed("declined")),
    # The acquirer cannot grow this hold (the card or scheme does not allow it).
    _cell("unsupported", STOPPED_AT_HOLD,
          (_a("4xx", status=400, error_type="increment_unsupported"),),
          extra=_failed("unsupported")),
    # Unreachable for longer than the increment may take: unanswered, stopped at the hold.
    _cell("5xx", STOPPED_AT_HOLD, (_a("5xx"),), extra=_failed("unanswered")),
    _cell("before_commit", GREW, (_a("timeout_before_commit", count=1, delay_s=LATE_S),),
          extra=_grew()),
    # Committed, the answer lost: the retry under the same key is answered the first
    # result, so the hold grows once.
    _cell("after_commit", GREW, (_a("timeout_after_commit", count=1, delay_s=LATE_S),),
          extra=_grew()),
    _cell("timeout_then_commit", GREW, (_a("timeout_then_commit", count=1, delay_s=LATE_S),),
          extra=_grew()),
    _cell("slow", GREW, (_a("slow", count=1, delay_s=LATE_S),), extra=_grew()),
    # The worker dies with the increment in flight (it commits meanwhile): the new worker's
    # retry, same key, is answered the first result.
    _cell("killed", GREW, (_a("slow", count=1, delay_s=KILL_WINDOW_S),),
          kill=("acquirer", "increment"), extra=_grew()),
)  # fmt: skip

INCREMENT_NOT_APPLICABLE: tuple[NotApplicable, ...] = ()
