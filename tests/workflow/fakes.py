"""In-process fake activities under the contract names: enough to drive workflow logic.

The integration tests use the real activities against the emulators; these fakes let a
test script a charge's life (snapshots it signals) and record every call the workflow made.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from core.money import Money
from workflows import contracts as c

CHARGE_ID = 4242


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class FakeWorld:
    tariff: c.Tariff = field(
        default_factory=lambda: c.Tariff(
            currency="EUR", per_kwh_minor=55, vat_rate=Decimal("0.25"), price_group_id=9
        )
    )
    hold_wall_s: float = 3600.0  # how long the hold lasts on the wall
    decline: str | None = None
    start_error: tuple[str, str] | None = None  # (ApplicationError type, errorCode)
    lose_start_response: int = 0  # starts that commit but answer with a 5xx
    charge: c.ChargeSnapshot | None = None
    forgotten: bool = False  # Monta answers 404 for the charge (its state was lost)
    # Incremental authorization: what the hold says it supports, and how increments answer:
    # "approve", "decline", "unsupported", "lose_answer" (commits, then a 5xx once), "hang",
    # "commit_then_hang" (commits, then 5xx for `increment_hang_s` wall seconds from the
    # first call, then replays the first answer).
    supports_increment: bool = False
    increment_mode: str = "approve"
    increment_hang_s: float = 0.0
    increment_hang_until: float | None = None
    holds: dict[str, Money] = field(default_factory=dict)  # authorization id -> its amount
    increment_answers: dict[str, c.Authorization] = field(default_factory=dict)  # by key
    hold_created_at: datetime | None = None  # the acquirer's creation time, when it gives one
    calls: list[tuple[str, Any]] = field(default_factory=list)

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def monta_calls(self) -> list[str]:
        return [n for n in self.names() if n.startswith("monta_") and n != c.MONTA_GET_TARIFF]

    def quote(self, charge_point_id: int = 21) -> c.TariffQuote:
        """What Monta's tariff read answers for a point of this world."""
        cp = c.ChargePointInfo(id=charge_point_id, state="available", available=True)
        return c.TariffQuote(charge_point=cp, tariff=self.tariff)

    def set_charge(self, **kw: Any) -> c.ChargeSnapshot:
        assert self.charge is not None
        self.charge = self.charge.model_copy(update={"updated_at": now(), **kw})
        return self.charge

    # ---------------------------------------------------------------- Monta
    def activities(self) -> list[Any]:
        @activity.defn(name=c.MONTA_GET_TARIFF)
        async def get_tariff(inp: c.GetTariffInput) -> c.TariffQuote:
            self.calls.append((c.MONTA_GET_TARIFF, inp))
            return self.quote(inp.charge_point_id)

        @activity.defn(name=c.MONTA_START_CHARGE)
        async def start_charge(inp: c.StartChargeInput) -> c.ChargeSnapshot:
            self.calls.append((c.MONTA_START_CHARGE, inp))
            if self.start_error:
                kind, code = self.start_error
                raise ApplicationError("rejected", code, type=kind, non_retryable=True)
            if self.charge is None:
                self.charge = c.ChargeSnapshot(
                    charge_id=CHARGE_ID,
                    state="starting",
                    updated_at=now(),
                    kwh_limit=inp.kwh_limit,
                    partner_external_id=inp.partner_external_id,
                    currency=inp.currency,
                )
            if self.lose_start_response > 0:
                self.lose_start_response -= 1
                raise ApplicationError("502 after commit", type=c.ERR_MONTA_UNAVAILABLE)
            return self.charge

        @activity.defn(name=c.MONTA_FIND_CHARGE)
        async def find_charge(inp: c.FindChargeInput) -> c.ChargeSnapshot | None:
            self.calls.append((c.MONTA_FIND_CHARGE, inp))
            return self.charge

        @activity.defn(name=c.MONTA_GET_CHARGE)
        async def get_charge(inp: c.ChargeRef) -> c.ChargeSnapshot:
            self.calls.append((c.MONTA_GET_CHARGE, inp))
            if self.forgotten:
                raise ApplicationError(
                    f"charge {inp.charge_id} not found",
                    "RESOURCE_NOT_FOUND",
                    type=c.ERR_MONTA_CLIENT,
                    non_retryable=True,
                )
            assert self.charge is not None
            return self.charge

        async def stop(inp: c.ChargeRef) -> c.ChargeSnapshot:
            self.calls.append((c.MONTA_STOP_CHARGE, inp))
            assert self.charge is not None
            if self.charge.state not in ("stopped", "completed"):
                self.set_charge(state="stopping")
            return self.charge

        @activity.defn(name=c.MONTA_STOP_CHARGE)
        async def stop_charge(inp: c.ChargeRef) -> c.ChargeSnapshot:
            return await stop(inp)

        @activity.defn(name=c.MONTA_STOP_CHARGE_LOCAL)
        async def stop_local(inp: c.ChargeRef) -> c.ChargeSnapshot:
            return await stop(inp)

        @activity.defn(name=c.MONTA_ATTACH_PAYMENT)
        async def attach(inp: c.AttachPaymentInput) -> None:
            self.calls.append((c.MONTA_ATTACH_PAYMENT, inp))

        return [
            get_tariff,
            start_charge,
            find_charge,
            get_charge,
            stop_charge,
            stop_local,
            attach,
            *self.payment_activities(),
        ]

    # ---------------------------------------------------------------- payments
    def payment_activities(self) -> list[Any]:
        def auth(amount: Money, key: str) -> c.Authorization:
            # One hold per session (its idempotency key names it): a hold is claimed by the
            # session that verifies it, and a second session may not pay with it.
            auth_id = f"auth-{key.rsplit('/', 1)[0]}"
            self.holds[auth_id] = amount
            return c.Authorization(
                authorization_id=auth_id,
                amount=amount,
                expires_at=now() + timedelta(seconds=self.hold_wall_s),
                authorized_at=self.hold_created_at,
                card_brand="VISA",
                card_last4="1234",
                supports_increment=self.supports_increment,
            )

        @activity.defn(name=c.PAYMENTS_VERIFY)
        async def verify(inp: c.VerifyInput) -> c.Authorization:
            self.calls.append((c.PAYMENTS_VERIFY, inp))
            if self.decline:
                raise ApplicationError(
                    "declined", self.decline, type=c.ERR_PAYMENT_DECLINED, non_retryable=True
                )
            currency, minor = inp.authorization_ref.split(":")
            return auth(Money(amount_minor=int(minor), currency=currency), inp.idempotency_key)

        @activity.defn(name=c.PAYMENTS_AUTHORIZE)
        async def authorize(inp: c.AuthorizeInput) -> c.Authorization:
            self.calls.append((c.PAYMENTS_AUTHORIZE, inp))
            return auth(inp.amount, inp.idempotency_key)

        @activity.defn(name=c.PAYMENTS_CAPTURE)
        async def capture(inp: c.CaptureInput) -> c.CaptureResult:
            self.calls.append((c.PAYMENTS_CAPTURE, inp))
            held = self.holds.get(inp.authorization_id)
            if held is not None and inp.amount.amount_minor > held.amount_minor:
                raise ApplicationError(
                    "above the hold", type=c.ERR_AMOUNT_ABOVE_AUTHORIZED, non_retryable=True
                )
            return c.CaptureResult(
                captured=inp.amount, released=Money(amount_minor=0, currency=inp.amount.currency)
            )

        @activity.defn(name=c.PAYMENTS_VOID)
        async def void(inp: c.VoidInput) -> c.VoidResult:
            self.calls.append((c.PAYMENTS_VOID, inp))
            return c.VoidResult(released=Money(amount_minor=1, currency="EUR"))

        @activity.defn(name=c.PAYMENTS_INCREMENT)
        async def increment(inp: c.IncrementInput) -> c.IncrementResult:
            self.calls.append((c.PAYMENTS_INCREMENT, inp))
            mode, key = self.increment_mode, inp.idempotency_key
            if mode == "decline":
                raise ApplicationError(
                    "declined",
                    "insufficient_funds",
                    type=c.ERR_PAYMENT_DECLINED,
                    non_retryable=True,
                )
            if mode == "unsupported":
                raise ApplicationError(
                    "no increments", type=c.ERR_INCREMENT_UNSUPPORTED, non_retryable=True
                )
            if mode == "hang":
                raise ApplicationError("504", type=c.ERR_PAYMENT_UNAVAILABLE)
            if key not in self.increment_answers:  # the same key replays the first answer
                held = self.holds[inp.authorization_id]
                grown = Money(
                    amount_minor=held.amount_minor + inp.extra.amount_minor,
                    currency=held.currency,
                )
                self.holds[inp.authorization_id] = grown
                self.increment_answers[key] = c.Authorization(
                    authorization_id=inp.authorization_id,
                    amount=grown,
                    expires_at=now() + timedelta(seconds=self.hold_wall_s),
                    card_brand="VISA",
                    card_last4="1234",
                    supports_increment=True,
                )
                if mode == "lose_answer":
                    raise ApplicationError("502 after commit", type=c.ERR_PAYMENT_UNAVAILABLE)
            if mode == "commit_then_hang":
                if self.increment_hang_until is None:
                    self.increment_hang_until = time.monotonic() + self.increment_hang_s
                if time.monotonic() < self.increment_hang_until:
                    raise ApplicationError("504 after commit", type=c.ERR_PAYMENT_UNAVAILABLE)
            return c.IncrementResult(authorization=self.increment_answers[key])

        @activity.defn(name=c.LEDGER_WRITE_RECEIPT)
        async def write_receipt(inp: c.ReceiptInput) -> c.ReceiptWritten:
            self.calls.append((c.LEDGER_WRITE_RECEIPT, inp))
            writes = self.names().count(c.LEDGER_WRITE_RECEIPT)
            return c.ReceiptWritten(number=1, created=writes == 1)

        return [verify, authorize, capture, void, increment, write_receipt]
