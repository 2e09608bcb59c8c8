"""The fault matrix as data: each money step x each fault kind, the lane (stack) it runs
on, how the fault is injected, and what the session must then do (tests/faults/expect.py).

Cells that cannot happen are listed in NOT_APPLICABLE with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from tests.faults.expect import ANY, Expect, completed, ended
from tests.support.acquirer import fault_rule
from tests.support.monta_emulator import FIND, PRICE_GROUP, RECEIPT, START, STOP, http_fault

Scenario = Literal["card", "token", "busy", "no_energy", "reconcile", "refund", "increment"]
Lane = Literal["payments", "start", "stop", "watcher", "increments"]

# Faults that outlast the client's 2 s deadline (tests/faults/lanes.py sets it), and a
# shorter one for the worker kills: the worker is killed while the request is in flight.
LATE_S = 3.0
KILL_WINDOW_S = 1.5
# A start that commits this long after the client gave up: longer than a never-plugged
# charge takes to be stopped and end (the stop lane), shorter than the session's wait
# before it may start again.
COMMIT_AFTER_RETRY_S = 12.0
# The tariff cell's charge point: its price group (13) is read by no other cell, so the
# API's and the worker's tariff caches cannot hide the fault.
TARIFF_CP = 104
BUSY_CP = 106
STOP_CP_4XX, STOP_CP_5XX = 103, 105  # DC points: Monta's hard cap ends the charge fast


@dataclass(frozen=True)
class Cell:
    step: str
    kind: str
    lane: Lane
    scenario: Scenario
    expect: Expect
    monta: tuple[dict[str, Any], ...] = ()
    acquirer: tuple[dict[str, Any], ...] = ()
    kill: tuple[Literal["monta", "acquirer"], str] | None = None
    cp: int | None = None  # None: a fresh charge point of the lane's own
    amount: int = 1500
    # Wall seconds to observe a session that must not finish, before the faults go.
    observe_s: float = 0.0
    # Wall seconds to wait once the session is final before Monta's truth is read, so that
    # a request held by the fault has landed (a late commit shows as a second charge).
    late_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.step}/{self.kind}"


@dataclass(frozen=True)
class NotApplicable:
    step: str
    kind: str
    why: str

    @property
    def id(self) -> str:
        return f"{self.step}/{self.kind}"


def _m(op: str, kind: Any, **kw: Any) -> dict[str, Any]:
    return http_fault(op, kind, **kw)


def _a(op: Any, kind: Any, **kw: Any) -> dict[str, Any]:
    return fault_rule(op, kind, **kw)


def _kill_m(op: str) -> dict[str, Any]:
    return _m(op, "slow", count=1, delay_s=KILL_WINDOW_S)


def _kill_a(op: Any) -> dict[str, Any]:
    return _a(op, "slow", count=1, delay_s=KILL_WINDOW_S)


# The API reads the tariff first (its own try): the first rule fails that read so the
# session reads it itself, the second is the session's read.
API_TARIFF_MISS = _m(PRICE_GROUP, "5xx", count=1)

TARIFF_FAILED = ended("rejected", "tariff_unavailable")


def _unavailable(step: str) -> Expect:
    """The acquirer never answered: declined, flagged with the step and the cause."""
    return Expect(
        state=frozenset({"declined"}),
        reason="payment_unavailable",
        attention="required",
        attention_prefix=f"{step}_failed: payment_unavailable",
        charges=0,
        hold=ANY,
        captures=0,
    )


VERIFY_UNAVAILABLE = _unavailable("verify")
AUTHORIZE_UNAVAILABLE = _unavailable("authorize")
ONE_HOLD = completed(holds_placed=1)
START_FAILED = ended("start_failed", ANY)
STOP_FAILED = completed(attention="allowed", attention_prefix="stop_failed")
RECEIPT_OK = completed(attention="allowed", attention_prefix="receipt_failed")
CAPTURE_WAITS = Expect(
    state=frozenset({"settling"}),
    attention="required",
    attention_prefix="capture_failed",
    hold="open",
    captures=0,
    voids=0,
    final=False,
)
VOIDED_ONCE = ended("start_failed", ANY, charges=0)
# Monta started the charge (the car never drew): one charge, voided only once it ended.
NO_ENERGY = ended("start_failed", "no_energy", charges=1, void_after_charge_end=True)

CELLS: tuple[Cell, ...] = (
    # -- tariff read (the session reads it when the API could not) ---------------------
    Cell("tariff", "4xx", "start", "card", TARIFF_FAILED, cp=TARIFF_CP,
         monta=(_m(PRICE_GROUP, "4xx"),)),
    Cell("tariff", "5xx", "start", "card", TARIFF_FAILED, cp=TARIFF_CP,
         monta=(_m(PRICE_GROUP, "5xx"),)),
    Cell("tariff", "before_commit", "start", "card", completed(), cp=TARIFF_CP,
         monta=(API_TARIFF_MISS, _m(PRICE_GROUP, "timeout", skip=1, count=1, delay_s=LATE_S))),
    Cell("tariff", "slow", "start", "card", completed(), cp=TARIFF_CP,
         monta=(API_TARIFF_MISS, _m(PRICE_GROUP, "slow", skip=1, count=1, delay_s=LATE_S))),
    # -- verify (card-present) ----------------------------------------------------------
    Cell("verify", "4xx", "payments", "card",
         ended("declined", "authorization_not_found", hold="none", voids=0),
         acquirer=(_a("verify", "4xx", status=404, count=1),)),
    Cell("verify", "5xx", "payments", "card", VERIFY_UNAVAILABLE,
         acquirer=(_a("verify", "5xx"),)),
    Cell("verify", "before_commit", "payments", "card", completed(),
         acquirer=(_a("verify", "timeout_before_commit", count=1, delay_s=LATE_S),)),
    Cell("verify", "slow", "payments", "card", completed(),
         acquirer=(_a("verify", "slow", count=1, delay_s=LATE_S),)),
    # -- authorize (card-not-present) ---------------------------------------------------
    Cell("authorize", "4xx", "payments", "token",
         ended("declined", ANY, hold="none", voids=0, holds_placed=0),
         acquirer=(_a("authorize", "4xx", status=402, count=1),)),
    Cell("authorize", "5xx", "payments", "token", AUTHORIZE_UNAVAILABLE,
         acquirer=(_a("authorize", "5xx"),)),
    Cell("authorize", "after_commit", "payments", "token", ONE_HOLD,
         acquirer=(_a("authorize", "timeout_after_commit", count=1, delay_s=LATE_S),)),
    Cell("authorize", "before_commit", "payments", "token", ONE_HOLD,
         acquirer=(_a("authorize", "timeout_before_commit", count=1, delay_s=LATE_S),)),
    Cell("authorize", "slow", "payments", "token", ONE_HOLD,
         acquirer=(_a("authorize", "slow", count=1, delay_s=LATE_S),)),
    Cell("authorize", "killed", "payments", "token", ONE_HOLD,
         acquirer=(_kill_a("authorize"),), kill=("acquirer", "authorize")),
    # -- start (POST /charges) ----------------------------------------------------------
    Cell("start", "4xx", "start", "card", ended("start_failed", "CHARGE_POINT_BUSY"),
         monta=(_m(START, "4xx", count=1, error_code="CHARGE_POINT_BUSY"),)),
    Cell("start", "5xx", "start", "card", ended("start_failed", "monta_unavailable"),
         monta=(_m(START, "5xx"),)),
    Cell("start", "after_commit", "start", "card", completed(),
         monta=(_m(START, "commit_then_drop", count=1, delay_s=LATE_S),)),
    Cell("start", "timeout_then_commit", "start", "card", completed(voids=0),
         monta=(_m(START, "timeout_then_commit", count=1, delay_s=LATE_S),)),
    Cell("start", "before_commit", "start", "card", completed(),
         monta=(_m(START, "timeout", count=1, delay_s=LATE_S),)),
    # The late commit lands after the session's first charge has ended and freed the
    # point: a second POST /charges made before it would have started a second charge.
    # The late charge is adopted by the lookup after the window: stopped by the session
    # (no energy) or already ended by Monta's own plug timeout, depending on the machine's
    # pace. Either way one charge, and the hold voided only once it ended.
    Cell("start", "commit_after_retry", "stop", "no_energy",
         Expect(state=frozenset({"start_failed", "voided"}), reason=ANY, charges=1,
                hold="voided", captures=0, voids=1, void_after_charge_end=True),
         monta=(_m(START, "timeout_then_commit", count=1, delay_s=COMMIT_AFTER_RETRY_S),),
         late_s=COMMIT_AFTER_RETRY_S),
    Cell("start", "slow", "start", "card", completed(),
         monta=(_m(START, "slow", count=1, delay_s=LATE_S),)),
    Cell("start", "killed", "start", "card", completed(),
         monta=(_kill_m(START),), kill=("monta", START)),
    # -- find (GET /charges?partnerExternalId, after a start that committed, then dropped)
    Cell("find", "4xx", "start", "card",
         completed(attention="allowed", attention_prefix="start_outcome_unknown"),
         monta=(_m(START, "commit_then_drop", count=1, delay_s=LATE_S), _m(FIND, "4xx"))),
    Cell("find", "5xx", "start", "card",
         completed(attention="allowed", attention_prefix="start_outcome_unknown"),
         monta=(_m(START, "commit_then_drop", count=1, delay_s=LATE_S), _m(FIND, "5xx"))),
    Cell("find", "before_commit", "start", "card", completed(),
         monta=(_m(START, "commit_then_drop", count=1, delay_s=LATE_S),
                _m(FIND, "timeout", count=1, delay_s=LATE_S))),
    Cell("find", "slow", "start", "card", completed(),
         monta=(_m(START, "commit_then_drop", count=1, delay_s=LATE_S),
                _m(FIND, "slow", count=1, delay_s=LATE_S))),
    # -- stop (after the terminal's stop) -----------------------------------------------
    Cell("stop", "4xx", "stop", "card", STOP_FAILED, cp=STOP_CP_4XX, amount=1000,
         monta=(_m(STOP, "4xx"),)),
    Cell("stop", "5xx", "stop", "card", STOP_FAILED, cp=STOP_CP_5XX, amount=1000,
         monta=(_m(STOP, "5xx"),)),
    Cell("stop", "after_commit", "stop", "card", completed(),
         monta=(_m(STOP, "commit_then_drop", count=1, delay_s=LATE_S),)),
    Cell("stop", "before_commit", "stop", "card", completed(),
         monta=(_m(STOP, "timeout", count=1, delay_s=LATE_S),)),
    Cell("stop", "slow", "stop", "card", completed(),
         monta=(_m(STOP, "slow", count=1, delay_s=LATE_S),)),
    Cell("stop", "killed", "stop", "card", completed(),
         monta=(_kill_m(STOP),), kill=("monta", STOP)),
    # -- stop for no energy (a car that never plugs in) ---------------------------------
    Cell("stop_no_energy", "4xx", "stop", "no_energy", NO_ENERGY, monta=(_m(STOP, "4xx"),)),
    Cell("stop_no_energy", "5xx", "stop", "no_energy", NO_ENERGY, monta=(_m(STOP, "5xx"),)),
    # -- capture ------------------------------------------------------------------------
    Cell("capture", "4xx_422", "payments", "card", CAPTURE_WAITS, observe_s=15.0,
         acquirer=(_a("capture", "4xx", status=422),)),
    Cell("capture", "4xx_404", "payments", "card",
         completed(attention="required", attention_prefix="capture_failed", hold="open",
                   captures=0, captured_is_price=False, uncollected_is_price=True),
         acquirer=(_a("capture", "4xx", status=404),)),
    Cell("capture", "5xx", "payments", "card",
         replace(CAPTURE_WAITS, then_state="completed"), observe_s=15.0,
         acquirer=(_a("capture", "5xx"),)),
    Cell("capture", "after_commit", "payments", "card", completed(),
         acquirer=(_a("capture", "timeout_after_commit", count=1, delay_s=LATE_S),)),
    Cell("capture", "before_commit", "payments", "card", completed(),
         acquirer=(_a("capture", "timeout_before_commit", count=1, delay_s=LATE_S),)),
    Cell("capture", "slow", "payments", "card", completed(),
         acquirer=(_a("capture", "slow", count=1, delay_s=LATE_S),)),
    Cell("capture", "killed", "payments", "card", completed(),
         acquirer=(_kill_a("capture"),), kill=("acquirer", "capture")),
    # -- void (a busy charge point refuses the start) -----------------------------------
    Cell("void", "4xx", "payments", "busy",
         ended("start_failed", ANY, hold="open", voids=0, attention="none"), cp=BUSY_CP,
         acquirer=(_a("void", "4xx", status=404),),
         extra={"i2_exempt": "the acquirer answered 404: it holds nothing to void"}),
    Cell("void", "5xx", "payments", "busy",
         Expect(state=frozenset({"starting", "start_failed"}), attention=ANY,
                attention_prefix="void_failed", charges=0, hold="open", captures=0, voids=0,
                final=False),
         cp=BUSY_CP, observe_s=15.0, acquirer=(_a("void", "5xx"),)),
    Cell("void", "after_commit", "payments", "busy", VOIDED_ONCE, cp=BUSY_CP,
         acquirer=(_a("void", "timeout_after_commit", count=1, delay_s=LATE_S),)),
    Cell("void", "before_commit", "payments", "busy", VOIDED_ONCE, cp=BUSY_CP,
         acquirer=(_a("void", "timeout_before_commit", count=1, delay_s=LATE_S),)),
    Cell("void", "slow", "payments", "busy", VOIDED_ONCE, cp=BUSY_CP,
         acquirer=(_a("void", "slow", count=1, delay_s=LATE_S),)),
    Cell("void", "killed", "payments", "busy", VOIDED_ONCE, cp=BUSY_CP,
         acquirer=(_kill_a("void"),), kill=("acquirer", "void")),
    # -- receipt (the captured amount attached to the Monta charge) --------------------
    Cell("receipt", "4xx", "payments", "card", RECEIPT_OK, monta=(_m(RECEIPT, "4xx"),)),
    Cell("receipt", "5xx", "payments", "card", RECEIPT_OK, monta=(_m(RECEIPT, "5xx"),)),
    Cell("receipt", "after_commit", "payments", "card", RECEIPT_OK,
         monta=(_m(RECEIPT, "commit_then_drop", count=1, delay_s=LATE_S),)),
    Cell("receipt", "before_commit", "payments", "card", RECEIPT_OK,
         monta=(_m(RECEIPT, "timeout", count=1, delay_s=LATE_S),)),
    Cell("receipt", "slow", "payments", "card", RECEIPT_OK,
         monta=(_m(RECEIPT, "slow", count=1, delay_s=LATE_S),)),
    Cell("receipt", "killed", "payments", "card", RECEIPT_OK,
         monta=(_kill_m(RECEIPT),), kill=("monta", RECEIPT)),
    # -- the watcher's reads (webhooks dropped: only its polls feed the session) --------
    Cell("watcher_read", "4xx", "watcher", "card", completed(), monta=(_m(FIND, "4xx", count=3),)),
    Cell("watcher_read", "5xx", "watcher", "card", completed(), monta=(_m(FIND, "5xx", count=3),)),
    Cell("watcher_read", "before_commit", "watcher", "card", completed(),
         monta=(_m(FIND, "timeout", count=2, delay_s=LATE_S),)),
    Cell("watcher_read", "slow", "watcher", "card", completed(),
         monta=(_m(FIND, "slow", count=2, delay_s=LATE_S),)),
    # -- reconciliation (an orphan hold: no session pays with it) ----------------------
    Cell("reconcile_read", "monta_5xx", "watcher", "reconcile",
         Expect(state=frozenset({"open"}), charges=0, hold="open", voids=0, then_state="voided"),
         monta=(_m(FIND, "5xx"),)),
    Cell("reconcile_read", "acquirer_5xx", "watcher", "reconcile",
         Expect(state=frozenset({"open"}), charges=0, hold="open", voids=0, then_state="voided"),
         acquirer=(_a("list", "5xx"),)),
    Cell("reconcile_void", "5xx", "watcher", "reconcile",
         Expect(state=frozenset({"open"}), charges=0, hold="open", voids=0, then_state="voided"),
         acquirer=(_a("void", "5xx"),)),
)  # fmt: skip

_READ = "a pure read: nothing is committed, so nothing can be committed and then lost"
_NO_SIDE_EFFECT = "a pure read: a killed worker re-reads, like a retry"
NOT_APPLICABLE: tuple[NotApplicable, ...] = (
    NotApplicable("tariff", "after_commit", _READ),
    NotApplicable("tariff", "killed", _NO_SIDE_EFFECT),
    NotApplicable("verify", "after_commit", _READ),
    NotApplicable("verify", "killed", _NO_SIDE_EFFECT),
    NotApplicable("find", "after_commit", _READ),
    NotApplicable("find", "killed", _NO_SIDE_EFFECT),
    NotApplicable("watcher_read", "after_commit", _READ),
    NotApplicable("watcher_read", "killed", _NO_SIDE_EFFECT),
    NotApplicable("stop_no_energy", "after_commit",
                  "a stop that lands is the plain no-energy path (the stop cells cover it)"),
)  # fmt: skip


# The refund and increment rows live in their own modules (this one is the session's
# first steps); they need Cell.
from tests.faults.increment_cells import INCREMENT_CELLS, INCREMENT_NOT_APPLICABLE  # noqa: E402
from tests.faults.refund_cells import REFUND_CELLS  # noqa: E402

CELLS = (*CELLS, *INCREMENT_CELLS, *REFUND_CELLS)
NOT_APPLICABLE = (*NOT_APPLICABLE, *INCREMENT_NOT_APPLICABLE)


def cell_by_id(cell_id: str) -> Cell:
    return next(c for c in CELLS if c.id == cell_id)
