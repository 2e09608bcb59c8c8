"""Reconciliation's rules for open holds (pure).

Reconciliation never destroys a capture that can still succeed. An open hold whose session
ended with something left to collect (its capture failed, part of its price is uncollected,
or it completed with a price and nothing captured) is still worth that money: voiding it
would release the driver's funds for good. Such a hold is `capture_outstanding`, reported
for an operator (retry the capture or write it off) and never voided. Only a hold whose
session ended with nothing to collect (voided, declined, rejected, start_failed, or
completed with its capture done) is `hold_open_after_session_end`. A session that ended in
any other way (terminated, failed, timed out) may have delivered energy: its hold is
outstanding too, for a human to judge.

Orphan holds. One acquirer account serves every operator, so the hold list holds every
operator's holds while the sessions are the reconciling operator's. A hold is an orphan only
if it is open, at least `hold_grace` old counted from the hold's own `created_at` (the
terminal's tap, before its session even starts), and no running session of ANY operator
holds it (`LiveHolds`). The grace alone does not protect a session still in `pricing` or
`authorizing`: it does not know its hold's id yet, and it may have started long after the
tap (the driver took time at the terminal), so the hold can be past the grace while its
session is seconds old. Every running session without a hold id therefore protects, whatever
its age, the holds it could still verify: those placed on its own terminal (card-present
holds carry the terminal id) and every hold that names no terminal (placed from a token).
Those holds are reported `deferred: ...` and not voided. If any running session did not
answer its status query, or has been running longer than the grace without a hold id, or
its terminal is unknown, a hold cannot be proven orphaned at all: every orphan is then
reported `deferred: ...` and none is voided. A hold of another operator's *finished*
session may be reported (and voided) by either operator's run; voiding is idempotent
(`reconcile/<hold>/void`), so that is harmless.
"""

from __future__ import annotations

from core.money import Money
from workflows.reconciliation_models import (
    Facts,
    HoldRecord,
    LiveHolds,
    Mismatch,
    SessionOutcome,
)


def orphan_holds(f: Facts) -> list[HoldRecord]:
    """Open holds past the grace period (from the hold's creation) that no running session
    of any operator holds on to."""
    live = {s.authorization_id for s in f.sessions if s.running and s.authorization_id}
    live.update(f.live.authorization_ids)
    return [
        h
        for h in f.holds
        if h.status == "open"
        and h.authorization_id not in live
        and f.now - h.created_at >= f.hold_grace
    ]


def void_deferral(live: LiveHolds) -> str | None:
    """Why no orphan may be voided in this run, or None: a running session that did not
    answer, or that still has no hold id past the grace or on an unknown terminal, might
    own any of them."""
    why = []
    if live.unanswered:
        why.append(f"{live.unanswered} running sessions did not answer")
    if live.unbound:
        why.append(f"{live.unbound} running sessions have no hold id past the grace")
    return "deferred: " + "; ".join(why) if why else None


def verifying_deferral(h: HoldRecord, live: LiveHolds) -> str | None:
    """Why this hold may not be voided because a running session may still verify it, or
    None: the session is still pricing or authorizing (no hold id yet), whatever its age,
    and the hold was placed on its terminal or names no terminal at all."""
    if not live.verifying_terminals:
        return None
    if h.terminal_id is None:
        n = len(live.verifying_terminals)
        return f"deferred: {n} running sessions have no hold id yet; the hold names no terminal"
    if h.terminal_id in live.verifying_terminals:
        return f"deferred: a running session on terminal {h.terminal_id} has no hold id yet"
    return None


NOTHING_TO_COLLECT = ("voided", "declined", "rejected", "start_failed")


def _minor(m: Money | None) -> int:
    return m.amount_minor if m is not None else 0


def capture_outstanding(s: SessionOutcome) -> str | None:
    """Why the finished session `s` may still collect money on its open hold, or None when
    it ended with nothing to collect (only then may its hold be voided)."""
    if "capture_failed" in (s.attention or "") or s.reason == "capture_failed":
        return f"session {s.state}: capture failed ({s.attention or s.reason})"
    if _minor(s.uncollected) > 0:
        return f"session {s.state}: {_minor(s.uncollected)} uncollected"
    if s.state in NOTHING_TO_COLLECT:
        return None
    if s.state != "completed":
        return f"session {s.state}: it may have delivered energy"
    if _minor(s.captured) <= 0 and _minor(s.price) > 0:
        return f"session completed: price {_minor(s.price)}, nothing captured"
    return None


def needs_void(m: Mismatch) -> bool:
    """An orphan hold the workflow should void (unless told to only report)."""
    return (
        m.kind == "hold_open_after_session_end"
        and m.authorization_id is not None
        and m.action is None
    )


def hold_checks(f: Facts) -> list[Mismatch]:
    owner = {s.authorization_id: s for s in f.sessions if s.authorization_id}
    deferred = void_deferral(f.live)
    out = []
    for h in orphan_holds(f):
        s = owner.get(h.authorization_id)
        base = {
            "session_id": s.session_id if s else None,
            "charge_id": s.charge_id if s else None,
            "authorization_id": h.authorization_id,
            "actual_minor": h.amount.amount_minor,
            "currency": h.amount.currency,
        }
        outstanding = capture_outstanding(s) if s else None
        if outstanding is not None:
            out.append(
                Mismatch(
                    kind="capture_outstanding",
                    detail=f"{outstanding}; the hold is open: retry the capture or write it off",
                    action="report_only",
                    **base,
                )
            )
            continue
        out.append(
            Mismatch(
                kind="hold_open_after_session_end",
                detail=f"session {s.state}" if s else "no session of this operator holds it",
                action=deferred or verifying_deferral(h, f.live),
                **base,
            )
        )
    return out
