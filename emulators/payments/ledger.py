"""The acquirer's books: every hold, capture, void and increment, with amounts and times.

Pure state (no I/O). Times are wall-clock UTC instants; a hold's lifetime on the wall is
its real-world lifetime / TIME_SCALE (see config.py). Expiry is applied lazily: a hold
past `expires_at` reads as `expired` and cannot be captured, voided or incremented.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from emulators.payments.cards import CardOutcome
from emulators.payments.config import EmulatorConfig
from emulators.payments.errors import AcquirerError, declined, invalid, not_found

HoldStatus = Literal["open", "captured", "voided", "expired"]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Hold:
    id: str
    terminal_id: str | None
    amount_minor: int  # current authorized total (increments raise it)
    currency: str
    card_brand: str
    card_last4: str
    card_present: bool
    created_at: datetime
    expires_at: datetime
    status: HoldStatus = "open"
    captures: list[dict[str, Any]] = field(default_factory=list)
    voids: list[dict[str, Any]] = field(default_factory=list)
    increments: list[dict[str, Any]] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)

    @property
    def refunded_minor(self) -> int:
        return sum(int(r["amount_minor"]) for r in self.refunds)

    @property
    def captured_minor(self) -> int:
        return sum(int(c["amount_minor"]) for c in self.captures)

    @property
    def released_minor(self) -> int:
        if self.status in ("captured", "voided", "expired"):
            return self.amount_minor - self.captured_minor
        return 0

    def public(self) -> dict[str, Any]:
        """What chargepay sees through the API."""
        return {
            "id": self.id,
            "terminal_id": self.terminal_id,
            "amount_minor": self.amount_minor,
            "currency": self.currency,
            "card_brand": self.card_brand,
            "card_last4": self.card_last4,
            "card_present": self.card_present,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "status": self.status,
            "captured_minor": self.captured_minor,
            "released_minor": self.released_minor,
            "refunded_minor": self.refunded_minor,
            "supports_increment": True,
        }

    def truth(self) -> dict[str, Any]:
        """Ground truth for chaos runs and benchmarks: the public view plus every movement."""
        return {
            **self.public(),
            "captures": list(self.captures),
            "voids": list(self.voids),
            "increments": list(self.increments),
            "refunds": list(self.refunds),
        }


class Ledger:
    def __init__(self, config: EmulatorConfig, now: Callable[[], datetime] = utc_now) -> None:
        self.config = config
        self._now = now
        self.holds: dict[str, Hold] = {}
        self.declines: list[dict[str, Any]] = []

    # ------------------------------------------------------------ placing holds
    def place(
        self,
        *,
        card: CardOutcome,
        amount_minor: int,
        currency: str,
        card_present: bool,
        terminal_id: str | None,
    ) -> Hold:
        now = self._now()
        if card.decline_code is not None:
            self.declines.append(
                {
                    "t": now.isoformat(),
                    "terminal_id": terminal_id,
                    "amount_minor": amount_minor,
                    "currency": currency,
                    "card_present": card_present,
                    "decline_code": card.decline_code,
                }
            )
            raise declined(card.decline_code)
        hold = Hold(
            id=f"auth_{secrets.token_hex(10)}",
            terminal_id=terminal_id,
            amount_minor=amount_minor,
            currency=currency,
            card_brand=card.brand,
            card_last4=card.last4,
            card_present=card_present,
            created_at=now,
            expires_at=now + timedelta(seconds=self.config.wall_expiry_s(card_present)),
        )
        self.holds[hold.id] = hold
        return hold

    # ------------------------------------------------------------ reading
    def get(self, hold_id: str) -> Hold:
        hold = self.holds.get(hold_id)
        if hold is None:
            raise not_found(hold_id)
        if hold.status == "open" and self._now() >= hold.expires_at:
            hold.status = "expired"
        return hold

    def _open(self, hold_id: str, currency: str) -> Hold:
        hold = self.get(hold_id)
        if hold.status == "captured":
            raise AcquirerError(409, "already_captured", f"{hold_id} is already captured")
        if hold.status == "voided":
            raise AcquirerError(409, "already_voided", f"{hold_id} is already voided")
        if hold.status == "expired":
            raise AcquirerError(410, "authorization_expired", f"{hold_id} expired")
        if currency != hold.currency:
            raise invalid(f"currency {currency} does not match the hold's {hold.currency}")
        return hold

    # ------------------------------------------------------------ moving money
    def capture(self, hold_id: str, amount_minor: int, currency: str, key: str) -> Hold:
        """Capture once; the rest of the hold is released. No overcapture."""
        hold = self._open(hold_id, currency)
        if amount_minor > hold.amount_minor:
            raise AcquirerError(
                422,
                "amount_above_authorized",
                f"{amount_minor} exceeds the authorized {hold.amount_minor}",
                authorized_minor=hold.amount_minor,
            )
        hold.captures.append(
            {"t": self._now().isoformat(), "amount_minor": amount_minor, "idempotency_key": key}
        )
        hold.status = "captured"
        return hold

    def void(self, hold_id: str, key: str) -> Hold:
        hold = self._open(hold_id, self.get(hold_id).currency)
        hold.voids.append({"t": self._now().isoformat(), "idempotency_key": key})
        hold.status = "voided"
        return hold

    def increment(self, hold_id: str, extra_minor: int, currency: str, key: str) -> Hold:
        """Raise the hold by `extra_minor`; the expiry does not move (Visa rule). A
        card-present hold grows only on the UTC day it was created (a scheme rule one
        acquirer's EV charging spec states; docs/increments.md#scheme-rules)."""
        hold = self._open(hold_id, currency)
        if hold.card_present and self._now().date() != hold.created_at.date():
            raise AcquirerError(
                422,
                "increment_unsupported",
                f"{hold_id} is card-present: it can grow only on the day it was created",
            )
        hold.amount_minor += extra_minor
        hold.increments.append(
            {
                "t": self._now().isoformat(),
                "amount_minor": extra_minor,
                "new_total_minor": hold.amount_minor,
                "idempotency_key": key,
            }
        )
        return hold

    def refund(self, hold_id: str, amount_minor: int, currency: str, key: str) -> dict[str, Any]:
        """Give back part of a capture; never more in total than was captured."""
        hold = self.get(hold_id)
        if hold.status != "captured":
            raise AcquirerError(409, "not_captured", f"{hold_id} is {hold.status}, not captured")
        if currency != hold.currency:
            raise invalid(f"currency {currency} does not match the hold's {hold.currency}")
        left = hold.captured_minor - hold.refunded_minor
        if amount_minor > left:
            raise AcquirerError(
                422,
                "amount_above_captured",
                f"{amount_minor} exceeds the {left} still refundable",
                refundable_minor=left,
            )
        refund = {
            "id": f"re_{secrets.token_hex(10)}",
            "t": self._now().isoformat(),
            "amount_minor": amount_minor,
            "idempotency_key": key,
        }
        hold.refunds.append(refund)
        return refund

    def expire_now(self, hold_id: str) -> Hold:
        hold = self.get(hold_id)
        if hold.status == "open":
            hold.expires_at = self._now()
            hold.status = "expired"
        return hold

    def truth(self) -> dict[str, Any]:
        holds = [self.get(hold_id).truth() for hold_id in list(self.holds)]
        return {"now": self._now().isoformat(), "holds": holds, "declines": list(self.declines)}
