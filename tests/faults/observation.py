"""What a cell saw: the session's status as the API reports it and the emulators' ground
truth for that session (its Monta charges, the holds created while it ran)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ENDED_CHARGE_STATES = frozenset({"stopped", "releasing", "released", "completed"})


def minor(money: Any) -> int | None:
    """A status Money field ({amount_minor, currency} or None) in minor units."""
    return None if money is None else int(money["amount_minor"])


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


@dataclass
class Observation:
    cell_id: str
    session_id: str
    start_http: int | None = None
    status: dict[str, Any] | None = None  # the API's status when observed
    workflow_failure: str | None = None  # the session's workflow failed (never allowed)
    then_status: dict[str, Any] | None = None  # after the faults were removed, if asked
    charges: list[dict[str, Any]] = field(default_factory=list)  # Monta truth, this session
    holds: list[dict[str, Any]] = field(default_factory=list)  # acquirer truth, new holds
    hold_ref: str | None = None  # the card-present hold the terminal placed
    observed_at: float = 0.0  # wall time the status above was read
    notes: list[str] = field(default_factory=list)
    # Refund cells: the faulted request's answer, the answer once the faults were gone, the
    # acquirer's refunds of the session's hold, and the credit notes on its receipt.
    refund_first: str | None = None
    refund_then: str | None = None
    refunds: list[int] = field(default_factory=list)
    credit_notes: int = 0

    # -- the session ------------------------------------------------------------------
    @property
    def state(self) -> str | None:
        if self.workflow_failure is not None:
            return "workflow_failed"
        return None if self.status is None else str(self.status["state"])

    def field(self, name: str) -> Any:
        return None if self.status is None else self.status.get(name)

    @property
    def captured(self) -> int | None:
        return minor(self.field("captured"))

    @property
    def price(self) -> int | None:
        return minor(self.field("price"))

    @property
    def uncollected(self) -> int | None:
        return minor(self.field("uncollected"))

    # -- the outside world ------------------------------------------------------------
    @property
    def session_hold(self) -> dict[str, Any] | None:
        """The hold the session paid with: the terminal's, else the one it placed."""
        ref = self.hold_ref or self.field("authorization_id")
        for hold in self.holds:
            if hold["id"] == ref:
                return hold
        return self.holds[0] if len(self.holds) == 1 else None

    @property
    def charge(self) -> dict[str, Any] | None:
        return self.charges[0] if self.charges else None

    @staticmethod
    def charge_price_minor(charge: dict[str, Any]) -> int:
        """Monta's gross price in minor units (the emulator reports major units)."""
        return round(float(charge["price"] or 0) * 100)

    @staticmethod
    def charge_ended_at(charge: dict[str, Any]) -> float | None:
        ended = [s["t"] for s in charge["states"] if s["state"] in ENDED_CHARGE_STATES]
        return min(ended) if ended else None

    def summary(self) -> str:
        """One line for the matrix table."""
        hold = self.session_hold
        parts = [str(self.state)]
        if self.workflow_failure:
            parts.append(self.workflow_failure[:80])
        for name in ("reason", "attention"):
            if self.field(name):
                parts.append(f"{name}={self.field(name)}")
        parts.append(f"charges={len(self.charges)}")
        if hold is not None:
            parts.append(
                f"hold {hold['status']} (captures {len(hold['captures'])}, "
                f"voids {len(hold['voids'])})"
            )
            if hold.get("increments"):
                steps = [int(i["amount_minor"]) for i in hold["increments"]]
                parts.append(f"increments {steps} to {hold['amount_minor']}")
        else:
            parts.append(f"holds placed={len(self.holds)}")
        if self.field("increments_ended"):
            parts.append(f"increments ended: {self.field('increments_ended')}")
        if self.captured is not None or self.price is not None:
            parts.append(f"captured={self.captured} price={self.price}")
        if self.then_status is not None:
            parts.append(f"then {self.then_status['state']}")
        if self.refund_first is not None:
            parts.append(
                f"refund {self.refund_first} then {self.refund_then}, acquirer refunds "
                f"{self.refunds}, credit notes {self.credit_notes}"
            )
        parts.extend(self.notes)
        return ", ".join(parts)
