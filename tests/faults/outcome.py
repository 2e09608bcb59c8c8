"""Whether a cell's observation is exactly what the cell expects (tests/faults/expect.py)."""

from __future__ import annotations

from tests.faults.cells import Cell
from tests.faults.expect import ANY, Expect
from tests.faults.invariants import all_invariants
from tests.faults.observation import Observation


def problems(cell: Cell, obs: Observation) -> list[str]:
    """Everything wrong with the observation: the expected outcome, then the invariants."""
    if cell.scenario == "reconcile":
        return _reconcile_problems(cell.expect, obs)
    if cell.scenario == "refund":
        return _refund_problems(cell.expect, obs)
    found = _outcome_problems(cell.expect, obs)
    if cell.scenario == "increment":
        found += _increment_problems(cell, obs)
    found += all_invariants(obs, cell.extra.get("i2_exempt"))
    return found


def _increment_problems(cell: Cell, obs: Observation) -> list[str]:
    """Applied at the acquirer as expected and once per key; the session knows the hold
    the acquirer has; a failed increment leaves the session stopped within the first hold."""
    hold = obs.session_hold
    if hold is None:
        return ["no hold for the session at the acquirer"]
    found = []
    applied = hold["increments"]
    want = cell.extra["increments_applied"]
    if len(applied) != want:
        found.append(f"{len(applied)} increments at the acquirer, expected {want}")
    keys = [i["idempotency_key"] for i in applied]
    if len(set(keys)) != len(keys):
        found.append(f"an increment applied twice under one key: {keys}")
    known = obs.field("increments") or []
    if len(known) != len(applied):
        found.append(f"the session knows {len(known)} increments, the acquirer has {len(applied)}")
    authorized = obs.field("authorized")
    if authorized is not None and int(authorized["amount_minor"]) != hold["amount_minor"]:
        found.append(
            f"session's hold {authorized['amount_minor']}, acquirer's {hold['amount_minor']}"
        )
    ended = obs.field("increments_ended")
    if ended != cell.extra["increments_ended"]:
        found.append(f"increments_ended {ended!r}, expected {cell.extra['increments_ended']!r}")
    if want == 0 and (obs.captured or 0) > cell.amount:
        found.append(f"captured {obs.captured} past the first hold {cell.amount}")
    return found


def _outcome_problems(exp: Expect, obs: Observation) -> list[str]:
    found: list[str] = []
    if obs.state not in exp.state:
        found.append(f"state {obs.state}, expected {'|'.join(sorted(exp.state))}")
    if exp.reason != ANY and obs.field("reason") != exp.reason:
        found.append(f"reason {obs.field('reason')!r}, expected {exp.reason!r}")
    found += _attention_problems(exp, obs.field("attention"))
    if len(obs.charges) != exp.charges:
        found.append(f"{len(obs.charges)} Monta charges, expected {exp.charges}")
    found += _hold_problems(exp, obs)
    if exp.captured_is_price:
        charge_price = Observation.charge_price_minor(obs.charge) if obs.charge else None
        if not (obs.captured is not None and obs.captured == obs.price == charge_price):
            found.append(
                f"captured {obs.captured}, session price {obs.price}, Monta price "
                f"{charge_price}: expected all equal"
            )
    if exp.uncollected_is_price and not (
        obs.price and not obs.captured and obs.uncollected == obs.price
    ):
        found.append(f"uncollected {obs.uncollected}, captured {obs.captured}, price {obs.price}")
    if exp.holds_placed is not None and len(obs.holds) != exp.holds_placed:
        found.append(f"{len(obs.holds)} holds placed, expected {exp.holds_placed}")
    if exp.then_state is not None:
        then = obs.then_status["state"] if obs.then_status else None
        if then != exp.then_state:
            found.append(f"after the faults were removed: {then}, expected {exp.then_state}")
    return found


def _attention_problems(exp: Expect, attention: str | None) -> list[str]:
    rule = exp.attention
    prefix = exp.attention_prefix or ""
    if rule == "none" and attention:
        return [f"attention {attention!r}, expected none"]
    if rule == "required" and not (attention and attention.startswith(prefix)):
        return [f"attention {attention!r}, expected one starting {prefix!r}"]
    if rule in ("allowed", ANY) and attention and not attention.startswith(prefix):
        return [f"attention {attention!r}, only {prefix!r} allowed"]
    return []


def _hold_problems(exp: Expect, obs: Observation) -> list[str]:
    hold = obs.session_hold
    found = []
    if exp.hold == "none":
        if obs.field("authorization_id") is not None:
            found.append("the session holds an authorization, expected none")
    elif exp.hold != ANY:
        status = hold["status"] if hold else None
        if status != exp.hold:
            found.append(f"hold {status}, expected {exp.hold}")
    if hold is not None:
        if exp.captures is not None and len(hold["captures"]) != exp.captures:
            found.append(f"{len(hold['captures'])} captures, expected {exp.captures}")
        if exp.voids is not None and len(hold["voids"]) != exp.voids:
            found.append(f"{len(hold['voids'])} voids, expected {exp.voids}")
    return found


def _reconcile_problems(exp: Expect, obs: Observation) -> list[str]:
    found = []
    after_fault = obs.status["state"] if obs.status else None
    if after_fault not in exp.state:
        found.append(f"orphan hold {after_fault} after the faulted run, expected open")
    then = obs.then_status["state"] if obs.then_status else None
    if then != exp.then_state:
        found.append(f"orphan hold {then} after a clean run, expected {exp.then_state}")
    hold = obs.session_hold
    if hold is not None and len(hold["voids"]) > 1:
        found.append(f"orphan hold voided {len(hold['voids'])} times")
    others = [h["id"] for h in obs.holds if h["id"] != obs.hold_ref and h["voids"]]
    if others:
        found.append(f"other holds voided: {others}")
    return found


def _refund_problems(exp: Expect, obs: Observation) -> list[str]:
    """Money goes back once whatever the fault: one refund, one credit note, <= captured."""
    found = []
    if obs.state != "completed":
        return [f"the session to refund is {obs.state}, expected completed"]
    if obs.refund_first not in exp.state:
        found.append(f"first answer {obs.refund_first}, expected {'|'.join(sorted(exp.state))}")
    if obs.refund_then != exp.then_state:
        found.append(f"once the faults were gone: {obs.refund_then}, expected {exp.then_state}")
    if len(obs.refunds) != 1:
        found.append(f"{len(obs.refunds)} refunds at the acquirer, expected 1")
    if sum(obs.refunds) > (obs.captured or 0):
        found.append(f"refunded {sum(obs.refunds)} of a {obs.captured} capture")
    if obs.credit_notes != len(obs.refunds):
        found.append(f"{obs.credit_notes} credit notes for {len(obs.refunds)} refunds")
    return found
