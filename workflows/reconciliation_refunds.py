"""Reconciliation of refunds (pure): the acquirer's refunds of a hold must equal what the
ledger recorded (credit notes) for the session that captured it."""

from __future__ import annotations

from workflows.reconciliation_models import Facts, HoldRecord, Mismatch


def refunded_holds(holds: list[HoldRecord]) -> list[str]:
    """The holds the acquirer shows refunds on: the ones the ledger is asked about."""
    return sorted(h.authorization_id for h in holds if h.refunded_minor)


def refund_checks(f: Facts) -> list[Mismatch]:
    """Every refund the acquirer made is in the ledger, to the cent; report only."""
    if f.ledger_refunded is None:
        return []
    out = []
    for h in f.holds:
        recorded = f.ledger_refunded.get(h.authorization_id, 0)
        if h.refunded_minor == recorded:
            continue
        out.append(
            Mismatch(
                kind="refund_mismatch",
                authorization_id=h.authorization_id,
                expected_minor=recorded,
                actual_minor=h.refunded_minor,
                currency=h.amount.currency,
                detail="the acquirer's refunds differ from the ledger's credit notes",
                action="report_only",
            )
        )
    return out
