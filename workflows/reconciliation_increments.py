"""Reconciliation of incremental authorization (docs/increments.md): a finished session's
hold, first amount plus each increment it knows, against the total the acquirer holds.

They differ when an increment landed at the acquirer that the session never heard of (one
left unanswered that committed after all: the session captured within the hold it knew,
and the capture released the rest), or the other way round. Nothing is moved: the finding
names each increment for an operator to check. Pure.
"""

from __future__ import annotations

from workflows.reconciliation_models import Facts, Mismatch, SessionOutcome


def _known(s: SessionOutcome) -> str:
    assert s.authorized is not None
    extras = [m.amount_minor for m in s.increments]
    first = s.authorized.amount_minor - sum(extras)
    steps = " + ".join(str(n) for n in [first, *extras])
    return f"{steps} = {s.authorized.amount_minor}" if extras else str(first)


def increment_checks(f: Facts) -> list[Mismatch]:
    holds = {h.authorization_id: h for h in f.holds}
    out = []
    for s in f.sessions:
        if s.running or s.authorization_id is None or s.authorized is None:
            continue
        hold = holds.get(s.authorization_id)
        if hold is None or hold.amount.amount_minor == s.authorized.amount_minor:
            continue
        out.append(
            Mismatch(
                kind="hold_amount_mismatch",
                session_id=s.session_id,
                charge_id=s.charge_id,
                authorization_id=s.authorization_id,
                expected_minor=s.authorized.amount_minor,
                actual_minor=hold.amount.amount_minor,
                currency=hold.amount.currency,
                detail=(
                    f"the session held {_known(s)} ({len(s.increments)} increments); "
                    f"the acquirer holds {hold.amount.amount_minor}"
                ),
                action="report_only",
            )
        )
    return out
