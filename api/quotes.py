"""Tariff quotes for terminals: the ad-hoc price (AFIR price transparency) and what an
amount buys, from the same Monta activity code and budget formula the session uses."""

from __future__ import annotations

import logging
from decimal import Decimal

from pydantic import BaseModel
from temporalio.exceptions import ApplicationError

from activities.monta.activities import ERR_TARIFF_UNAVAILABLE, MontaActivities
from activities.monta.factory import build_monta_activities
from api.errors import ApiError
from core.money import Money
from core.operators import Operator
from settings import Settings
from workflows import contracts as c
from workflows import increments
from workflows.budget import Budget, BudgetRejected, compute_budget, gross
from workflows.contracts import SessionConfig
from workflows.contracts.idle import IdleEnd, IdleRules, IdleSource
from workflows.idle_fees import idle_rules

log = logging.getLogger(__name__)


class GrossPrices(BaseModel):
    """What the driver pays per unit, VAT included, in (possibly fractional) minor units."""

    start_fee_minor: Decimal
    per_kwh_minor: Decimal
    per_minute_minor: Decimal
    idle_per_minute_minor: Decimal


class IdleQuote(BaseModel):
    """The idle (overstay) fee before the start (AFIR price transparency): gross, per
    minute after the grace period, up to the cap, until `ends_at` (docs/idle-fees.md)."""

    source: IdleSource  # monta: in Monta's price; chargepay: the operator's, added
    per_minute_minor: Decimal  # gross, possibly fractional minor units
    grace_minutes: int
    cap_minor: Decimal | None  # gross; None: no cap (the hold bounds it)
    ends_at: IdleEnd  # released: at the unplug; completed: when Monta completes the charge
    note: str


def _plain(value: Decimal) -> Decimal:
    """No exponent notation: 1250, not 1.25E+3; 12.5 stays 12.5."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def idle_quote(rules: IdleRules | None) -> IdleQuote | None:
    if rules is None:
        return None
    per_minute = _plain(gross(Decimal(rules.per_minute_minor), rules.vat_rate))
    cap = _plain(gross(Decimal(rules.cap_minor), rules.vat_rate)) if rules.cap_minor else None
    until = (
        "until the car is unplugged"
        if rules.ends_at == "released"
        else "until the charge is completed: this charger cannot tell when the car is unplugged"
    )
    capped = " up to a cap per session" if cap is not None else ""
    note = (
        f"An idle fee is charged per minute from {rules.grace_minutes} minutes after energy "
        f"stops flowing while the car stays plugged in{capped}, {until}."
    )
    return IdleQuote(
        source=rules.source,
        per_minute_minor=per_minute,
        grace_minutes=rules.grace_minutes,
        cap_minor=cap,
        ends_at=rules.ends_at,
        note=note,
    )


class Quote(BaseModel):
    charge_point: c.ChargePointInfo
    tariff: c.Tariff  # net of VAT, integer minor units
    gross: GrossPrices
    amount: Money | None = None
    budget: Budget | None = None  # what `amount` buys (present when an amount was given)
    # With increments on (docs/increments.md): the largest the hold may grow to; the
    # budget's Monta caps are then set from it.
    increment_ceiling: Money | None = None
    # With the operator's first hold set: what a token (card-not-present) start for
    # `amount` blocks first; without an amount, the first hold itself.
    first_hold: Money | None = None
    idle: IdleQuote | None = None  # None: no idle fee at this charge point


def gross_prices(tariff: c.Tariff) -> GrossPrices:
    def g(minor: int) -> Decimal:
        return gross(Decimal(minor), tariff.vat_rate).normalize()

    return GrossPrices(
        start_fee_minor=g(tariff.start_fee_minor),
        per_kwh_minor=g(tariff.per_kwh_minor),
        per_minute_minor=g(tariff.per_minute_minor),
        idle_per_minute_minor=g(tariff.idle_per_minute_minor),
    )


_ERRORS: dict[str | None, tuple[int, str]] = {
    c.ERR_CHARGE_POINT_UNAVAILABLE: (404, "charge_point_not_found"),
    ERR_TARIFF_UNAVAILABLE: (409, "tariff_unavailable"),
    c.ERR_MONTA_UNAVAILABLE: (503, "monta_unavailable"),
    c.ERR_MONTA_RATE_LIMITED: (503, "monta_unavailable"),
}


class QuoteService:
    """One Monta client per operator, opened on first use, with the activity's tariff cache."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._monta: dict[str, MontaActivities] = {}

    def monta_of(self, operator: Operator) -> MontaActivities:
        """The operator's Monta client and tariff cache (read-only: quotes and starts)."""
        acts = self._monta.get(operator.key)
        if acts is None:
            # The worker's cache lifetime: a session now freezes what this read returns.
            acts = build_monta_activities(operator, self.settings)
            self._monta[operator.key] = acts
        return acts

    async def tariff(self, operator: Operator, charge_point_id: int) -> c.TariffQuote:
        req = c.GetTariffInput(operator=operator.key, charge_point_id=charge_point_id)
        try:
            return await self.monta_of(operator).get_tariff(req)
        except ApplicationError as exc:
            http, code = _ERRORS.get(exc.type, (502, "monta_error"))
            raise ApiError(http, code, exc.message) from exc

    async def tariff_for_start(
        self, operator: Operator, charge_point_id: int
    ) -> c.TariffQuote | None:
        """The tariff a starting session freezes, read here so the session need not; None
        when it cannot be read now: the session then reads it and judges the failure itself
        (rejected, start_failed), exactly as without this read.

        A point Monta does not show this operator's credential is not the operator's (a key
        mapped to another operator's point): 403, before any session or hold is touched."""
        try:
            return await self.tariff(operator, charge_point_id)
        except ApiError as exc:
            if exc.error == "charge_point_not_found":
                message = f"Monta shows no charge point {charge_point_id} to {operator.key}"
                raise ApiError(403, "charge_point_not_allowed", message) from exc
            log.warning(
                "tariff of CP %s not read for a start (%s: %s); the session reads it",
                charge_point_id,
                exc.error,
                exc.message,
            )
            return None

    async def quote(
        self,
        operator: Operator,
        config: SessionConfig,
        charge_point_id: int,
        amount_minor: int | None,
        currency: str | None,
    ) -> Quote:
        """The tariff, and what `amount_minor` buys; its currency defaults to the point's."""
        tq = await self.tariff(operator, charge_point_id)
        budget = None
        amount = None
        if amount_minor is not None:
            amount = Money(amount_minor=amount_minor, currency=currency or tq.tariff.currency)
            try:
                budget = compute_budget(amount, tq.tariff, config)
            except BudgetRejected as exc:
                raise ApiError(422, "rejected", str(exc), {"reason": exc.code}) from exc
        ceiling = first = None
        if config.increment_ceiling_minor > 0:
            cur = amount.currency if amount else tq.tariff.currency
            ceiling = Money(amount_minor=config.increment_ceiling_minor, currency=cur)
            if config.first_hold_minor > 0:
                first = increments.first_hold(amount or ceiling, config)
        return Quote(
            charge_point=tq.charge_point,
            tariff=tq.tariff,
            gross=gross_prices(tq.tariff),
            amount=amount,
            budget=budget,
            increment_ceiling=ceiling,
            first_hold=first,
            idle=idle_quote(idle_rules(tq.tariff, config.idle_fee)),
        )

    async def aclose(self) -> None:
        for acts in self._monta.values():
            await acts.client.aclose()
