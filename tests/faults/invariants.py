"""The money invariants, judged from the emulators' truth for one session (docs/design.md).
Each check returns what it found wrong; an empty list means the invariant holds."""

from __future__ import annotations

from tests.faults.observation import Observation, epoch
from workflows.contracts import FINAL_STATES


def one_hold_one_session(obs: Observation) -> list[str]:
    """I1 (and never two Monta charges for one session)."""
    problems = []
    if len(obs.charges) > 1:
        problems.append(f"I1: {len(obs.charges)} Monta charges for one session")
    hold = obs.session_hold
    if hold is not None and len(hold["captures"]) > 1:
        problems.append(f"I1: hold captured {len(hold['captures'])} times")
    return problems


def no_hold_left_open_silently(obs: Observation, exempt: str | None = None) -> list[str]:
    """I2: a final session's hold is captured or voided, else it carries an attention."""
    hold = obs.session_hold
    if exempt or obs.state not in FINAL_STATES or hold is None or obs.field("attention"):
        return []
    if obs.field("authorization_id") is None and obs.hold_ref is not None:
        return []  # the session never got the hold (declined at verify): not its to release
    if hold["status"] not in ("captured", "voided"):
        return [f"I2: final session left its hold {hold['status']} without an attention"]
    return []


def no_void_while_energy_may_flow(obs: Observation) -> list[str]:
    """I3: voided only with no Monta charge, or one known to have ended with nothing to bill."""
    hold = obs.session_hold
    if hold is None or not hold["voids"] or not obs.charges:
        return []
    charge = obs.charges[0]
    voided_at = epoch(hold["voids"][0]["t"])
    ended_at = Observation.charge_ended_at(charge)
    if ended_at is None or voided_at < ended_at:
        return [f"I3: hold voided while charge {charge['id']} was {_state_at(charge, voided_at)}"]
    if Observation.charge_price_minor(charge) > 0:
        return [f"I3: hold voided for charge {charge['id']} that billed {charge['price']}"]
    return []


def no_charge_left_unwatched(obs: Observation) -> list[str]:
    """I4: the workflow never fails; a final session's charge had ended by then."""
    if obs.workflow_failure is not None:
        return [f"I4: {obs.workflow_failure}"]
    if obs.state not in FINAL_STATES or not obs.charges:
        return []
    ended_at = Observation.charge_ended_at(obs.charges[0])
    if ended_at is None or ended_at > obs.observed_at:
        return [f"I4: session {obs.state} while its charge was still {obs.charges[0]['state']}"]
    return []


def capture_bounded(obs: Observation) -> list[str]:
    """I5: capture <= authorized and <= Monta's price for the charge."""
    hold = obs.session_hold
    if hold is None:
        return []
    captured = sum(c["amount_minor"] for c in hold["captures"])
    problems = []
    if captured > hold["amount_minor"]:
        problems.append(f"I5: captured {captured} > authorized {hold['amount_minor']}")
    if captured and obs.charges:
        price = Observation.charge_price_minor(obs.charges[0])
        if captured > price:
            problems.append(f"I5: captured {captured} > Monta's price {price}")
    if captured and not obs.charges:
        problems.append(f"I5: captured {captured} without a Monta charge")
    return problems


def uncollected_tells_the_truth(obs: Observation) -> list[str]:
    """I6: uncollected = delivered price - captured, for a completed session."""
    if obs.state != "completed" or obs.price is None:
        return []
    expected = obs.price - (obs.captured or 0)
    if (obs.uncollected or 0) != expected:
        return [f"I6: uncollected {obs.uncollected} != price {obs.price} - captured {obs.captured}"]
    return []


def all_invariants(obs: Observation, i2_exempt: str | None = None) -> list[str]:
    return [
        *one_hold_one_session(obs),
        *no_hold_left_open_silently(obs, i2_exempt),
        *no_void_while_energy_may_flow(obs),
        *no_charge_left_unwatched(obs),
        *capture_bounded(obs),
        *uncollected_tells_the_truth(obs),
    ]


def _state_at(charge: dict[str, object], t: float) -> str:
    states = [s for s in charge["states"] if s["t"] <= t]  # type: ignore[attr-defined]
    return str(states[-1]["state"]) if states else "not started"
