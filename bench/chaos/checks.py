"""The verdict, from ground truth only: the Monta emulator's charges, the acquirer's holds
and Temporal's view of each workflow. Pure functions: tests feed them hand-made truth.

Every figure in `MUST_BE_ZERO` must be 0 for the run to pass; each problem is also listed
in `problems` with the session (or hold / charge) it concerns.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bench.chaos.idle import IdleSetup, expected_fee, idle_window_iso
from core.money import MoneyUnit, currency_decimals, from_monta_amount

MUST_BE_ZERO = (
    "stuck",
    "duplicate_charges",
    "double_captures",
    "open_holds",
    "wrong_amounts",
    "captured_above_authorized",
    "lost_sessions",
    # Beyond the list, equally fatal: a hold left to expire was never settled, and
    # a charge still running after its session ended gives energy away.
    "expired_holds",
    "charges_not_completed",
)


# Voids made by chargepay's reconciliation job, not by a session workflow.
RECONCILE_KEY_PREFIX = "reconcile/"


@dataclass(frozen=True)
class Session:
    """What the harness knows about one planned session, and what Temporal says of it."""

    session_id: str
    hold_ref: str | None  # card-present: the hold the terminal placed
    got_session_id: bool  # the terminal was answered 201/202
    exists: bool  # Temporal has the workflow
    final: bool  # closed, completed, in a final session state
    state: str | None = None
    attention: str | None = None


@dataclass
class Verdict:
    figures: dict[str, int] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)
    flagged: list[dict[str, Any]] = field(default_factory=list)  # legit lower captures

    def add(self, figure: str, **detail: Any) -> None:
        self.figures[figure] = self.figures.get(figure, 0) + 1
        self.problems.append({"figure": figure, **detail})

    @property
    def passed(self) -> bool:
        return all(self.figures.get(name, 0) == 0 for name in MUST_BE_ZERO)


def price_minor(charge: dict[str, Any], money_unit: str = "major") -> int:
    unit: MoneyUnit = "minor" if money_unit == "minor" else "major"
    price = Decimal(str(charge.get("price") or 0))
    return from_monta_amount(price, currency_decimals(charge.get("currency") or "EUR"), unit)


def captured_minor(hold: dict[str, Any]) -> int:
    return sum(int(c["amount_minor"]) for c in hold.get("captures", []))


def _session_of_key(key: str) -> str:
    return key.rsplit("/", 1)[0]


def holds_by_session(sessions: list[Session], holds: list[dict[str, Any]]) -> dict[str, dict]:
    """Card-present holds by the ref the terminal got; card-not-present ones (placed by
    chargepay) by the idempotency keys of their capture/void (`<session id>/capture`)."""
    by_ref = {h["id"]: h for h in holds}
    out: dict[str, dict[str, Any]] = {}
    for s in sessions:
        if s.hold_ref is not None and s.hold_ref in by_ref:
            out[s.session_id] = by_ref[s.hold_ref]
    for h in holds:
        for move in [*h.get("captures", []), *h.get("voids", [])]:
            if _by_reconciliation(move):
                continue
            out.setdefault(_session_of_key(str(move.get("idempotency_key", ""))), h)
    return out


def check_sessions(v: Verdict, sessions: list[Session]) -> None:
    for s in sessions:
        if s.final:
            v.figures["finished"] = v.figures.get("finished", 0) + 1
            continue
        if s.exists:
            v.add("stuck", session=s.session_id, state=s.state)
        if s.got_session_id:
            v.add("lost_sessions", session=s.session_id, state=s.state, exists=s.exists)


def check_charges(v: Verdict, charges: list[dict[str, Any]], known: set[str]) -> None:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for ch in charges:
        groups[str(ch.get("partnerExternalId"))].append(ch)
        if ch.get("state") != "completed":
            v.add("charges_not_completed", charge=ch["id"], session=ch.get("partnerExternalId"))
    for sid, group in groups.items():
        if len(group) > 1:
            v.add("duplicate_charges", session=sid, charges=[c["id"] for c in group])
        if sid not in known:
            v.add("foreign_charges", session=sid, charges=[c["id"] for c in group])


def _by_reconciliation(move: dict[str, Any]) -> bool:
    return str(move.get("idempotency_key", "")).startswith(RECONCILE_KEY_PREFIX)


def status_before_reconciliation(hold: dict[str, Any]) -> str:
    """A hold that only a reconciliation void closed was open when the sessions ended."""
    voids = hold.get("voids", [])
    if not hold.get("captures") and voids and all(_by_reconciliation(m) for m in voids):
        return "open"
    return str(hold.get("status"))


def check_holds(v: Verdict, holds: list[dict[str, Any]], owner: dict[str, str]) -> None:
    for h in holds:
        moves = len(h.get("captures", [])) + len(h.get("voids", []))
        ref = {"hold": h["id"], "session": owner.get(h["id"])}
        if moves > 1:
            v.add("double_captures", **ref, captures=h.get("captures"), voids=h.get("voids"))
        if status_before_reconciliation(h) == "open":
            v.add("open_holds", **ref, amount_minor=h["amount_minor"], status=h.get("status"))
        if h.get("status") == "expired":
            v.add("expired_holds", **ref, amount_minor=h["amount_minor"])
        if captured_minor(h) > int(h["amount_minor"]):
            v.add("captured_above_authorized", **ref, captured=captured_minor(h))


def check_amounts(
    v: Verdict,
    sessions: list[Session],
    hold_of: dict[str, dict[str, Any]],
    charges: list[dict[str, Any]],
    money_unit: str,
    idle: IdleSetup | None = None,
) -> None:
    """capture == min(final price + chargepay's idle fee, authorized); a void only when
    nothing was delivered.

    With idle fees on (`idle`), chargepay adds its own idle fee to Monta's price where
    Monta's price group has none, up to what the hold has left: recomputed here from the
    emulator's truth (bench/chaos/idle.py). Where Monta's price group bills idle time, the
    fee is inside Monta's price and chargepay's is 0: anything above is billed twice.

    A capture below that is legitimate only when the session is flagged (`attention`):
    chargepay captures the smaller of Monta's price and kWh x tariff when they disagree.
    """
    by_session: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for ch in charges:
        by_session[str(ch.get("partnerExternalId"))].append(ch)
    for s in sessions:
        hold = hold_of.get(s.session_id)
        if hold is None:
            continue  # no hold (declined token): nothing to capture
        captured = captured_minor(hold)
        mine = by_session.get(s.session_id, [])
        if not mine:
            if captured:
                v.add("wrong_amounts", session=s.session_id, why="captured without a charge")
            continue
        kwh = sum(Decimal(str(c.get("consumedKwh") or 0)) for c in mine)
        price = sum(price_minor(c, money_unit) for c in mine)
        fees = [expected_fee(c, idle) for c in mine] if idle is not None else []
        fee = sum(f.fee_minor for f in fees)
        expected = expected_capture(price, fee, int(hold["amount_minor"]))
        detail = {"session": s.session_id, "hold": hold["id"], "kwh": str(kwh)}
        detail |= {"price_minor": price, "expected_minor": expected, "captured_minor": captured}
        if idle is not None:
            by = sorted({f.by for f in fees})
            minutes = str(sum(f.minutes for f in fees))
            detail |= {"idle_fee_minor": fee, "idle_minutes": minutes, "idle_by": by}
            detail["idle_windows"] = [idle_window_iso(c) for c in mine]
        if not hold.get("captures"):
            if hold.get("voids") and kwh > 0:  # neither: an open hold, counted as such
                v.add("wrong_amounts", why="void where energy was delivered", **detail)
            continue
        if captured == expected:
            continue
        if captured < expected and s.attention:
            v.flagged.append({**detail, "attention": s.attention})
            continue
        v.add("wrong_amounts", why=_why(captured, expected, price, hold, detail), **detail)


def expected_capture(price_minor: int, idle_fee_minor: int, authorized_minor: int) -> int:
    """Monta's price, plus chargepay's idle fee up to what the hold has left after it:
    min(price, hold) + min(fee, hold - min(price, hold)), i.e. min(price + fee, hold)."""
    energy = min(price_minor, authorized_minor)
    return energy + max(0, min(idle_fee_minor, authorized_minor - energy))


def _why(captured: int, expected: int, price: int, hold: dict[str, Any], d: dict) -> str:
    if "idle_fee_minor" not in d:
        return "capture != min(price, authorized)"
    if "monta" in d["idle_by"] and captured > min(price, int(hold["amount_minor"])):
        return "idle fee billed twice: Monta's price group bills idle time itself"
    return "capture != min(price + chargepay's idle fee, authorized)"


def verdict(
    sessions: list[Session],
    charges: list[dict[str, Any]],
    holds: list[dict[str, Any]],
    money_unit: str = "major",
    idle: IdleSetup | None = None,
) -> Verdict:
    v = Verdict(figures={name: 0 for name in (*MUST_BE_ZERO, "finished")})
    hold_of = holds_by_session(sessions, holds)
    owner = {h["id"]: sid for sid, h in hold_of.items()}
    check_sessions(v, sessions)
    check_charges(v, charges, {s.session_id for s in sessions})
    check_holds(v, holds, owner)
    check_amounts(v, sessions, hold_of, charges, money_unit, idle)
    return v
