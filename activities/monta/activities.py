"""The Monta activities of one operator (registered on its task queue `monta-<operator>`).

Every Monta error leaves as the ApplicationError the workflow branches on (error_mapping).
Starts and stops are idempotent: a start retry first looks for the charge it may already
have created (by `partnerExternalId`), and a stop of an already stopping/stopped charge
returns that charge.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.monta.client import MAX_PER_PAGE, MontaClient
from activities.monta.convert import snapshot_from_charge, summary_from_transaction
from activities.monta.error_mapping import (
    charge_point_unavailable,
    is_charge_point_unavailable,
    monta_errors,
)
from activities.monta.errors import MontaApiError
from activities.monta.models import Charge, ChargeState, GenericPaymentSession, StartChargeRequest
from activities.monta.tariffs import ERR_TARIFF_UNAVAILABLE, LocalTariffs, TariffCache
from core.money import MoneyUnit, currency_decimals, to_monta_amount
from workflows.contracts import (
    ERR_MONTA_CLIENT,
    MONTA_ATTACH_PAYMENT,
    MONTA_FIND_CHARGE,
    MONTA_FIND_CHARGES_UPDATED_SINCE,
    MONTA_GET_CHARGE,
    MONTA_GET_CHARGE_TRANSACTIONS,
    MONTA_GET_TARIFF,
    MONTA_START_CHARGE,
    MONTA_STOP_CHARGE,
    AttachPaymentInput,
    ChargeRef,
    ChargeSnapshot,
    FindChargeInput,
    FindChargesUpdatedSinceInput,
    FindChargesUpdatedSinceResult,
    GetTariffInput,
    PaymentSessionInfo,
    StartChargeInput,
    TariffQuote,
    WalletTransactionSummary,
)

__all__ = ["ERR_TARIFF_UNAVAILABLE", "LocalTariffs", "MontaActivities"]

SESSION_PREFIX = "session-"
KWH_LIMIT_RANGE = (Decimal(1), Decimal(500))
MIN_PRICE_LIMIT = Decimal(1)  # the spec's minimum for priceLimit
MAX_TRANSACTION_PAGES = 10


def _payment_session(
    info: PaymentSessionInfo, amount: Decimal | None = None
) -> GenericPaymentSession:
    return GenericPaymentSession(
        provider=info.provider,
        external_id=info.external_id,
        card_brand=info.card_brand,
        card_last4=info.card_last4,
        amount=amount,
    )


def _is_stopping_or_ended(charge: Charge) -> bool:
    return (
        charge.state in ChargeState.STOP_REQUESTED_OR_ENDED
        or charge.stopped_at is not None
        or charge.completed_at is not None
    )


class MontaActivities:
    def __init__(
        self,
        client: MontaClient,
        money_unit: MoneyUnit,
        tariff_ttl_s: float,
        *,
        local_tariffs: LocalTariffs | None = None,
        vat_rate: Decimal | None = None,
        page_size: int = MAX_PER_PAGE,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.operator = client.operator
        self.money_unit: MoneyUnit = money_unit
        self._page_size = page_size
        self.tariffs = TariffCache(
            client,
            tariff_ttl_s,
            local_tariffs=local_tariffs,
            vat_rate=vat_rate,
            page_size=page_size,
            monotonic=monotonic,
        )

    def activities(self) -> Sequence[Callable[..., Any]]:
        """Everything to register on this operator's Monta task queue."""
        return [
            self.get_tariff,
            self.start_charge,
            self.find_charge,
            self.get_charge,
            self.stop_charge,
            self.find_charges_updated_since,
            self.attach_payment,
            self.get_charge_transactions,
        ]

    def _check_operator(self, operator: str) -> None:
        if operator != self.operator:
            raise ApplicationError(
                f"Monta activity for operator {operator!r} ran on {self.operator!r}'s queue",
                "WRONG_OPERATOR",
                type=ERR_MONTA_CLIENT,
                non_retryable=True,
            )

    def _snapshot(self, charge: Charge) -> ChargeSnapshot:
        return snapshot_from_charge(charge, self.money_unit)

    # ------------------------------------------------------------ tariff
    @activity.defn(name=MONTA_GET_TARIFF)
    async def get_tariff(self, req: GetTariffInput) -> TariffQuote:
        self._check_operator(req.operator)
        with monta_errors():
            return await self.tariffs.quote(req.charge_point_id)

    # ------------------------------------------------------------ start
    async def _find(self, partner_external_id: str) -> Charge | None:
        page = await self.client.list_charges(partner_external_id=partner_external_id)
        # Match exactly: a server that ignored the filter must not hand us someone's charge.
        mine = [c for c in page.data if c.partner_external_id == partner_external_id]
        return max(mine, key=lambda c: c.id) if mine else None

    def _start_request(self, req: StartChargeInput) -> StartChargeRequest:
        price_limit = None
        if req.price_limit_minor is not None:
            price_limit = to_monta_amount(
                req.price_limit_minor, currency_decimals(req.currency), self.money_unit
            )
            if price_limit < MIN_PRICE_LIMIT:
                price_limit = None  # below Monta's minimum; the kWh limit still caps the charge
        low, high = KWH_LIMIT_RANGE
        return StartChargeRequest(
            paying_team_id=req.paying_team_id,
            charge_point_id=req.charge_point_id,
            kwh_limit=min(max(req.kwh_limit, low), high),
            price_limit=price_limit,
            price_group_id=req.price_group_id,
            partner_external_id=req.partner_external_id,
            generic_payment_session=_payment_session(req.payment_session),
        )

    @activity.defn(name=MONTA_START_CHARGE)
    async def start_charge(self, req: StartChargeInput) -> ChargeSnapshot:
        self._check_operator(req.operator)
        with monta_errors():
            if activity.info().attempt > 1:
                # The previous attempt may have started the charge and lost the answer.
                found = await self._find(req.partner_external_id)
                if found is not None:
                    return self._snapshot(found)
            try:
                charge = await self.client.start_charge(self._start_request(req))
            except MontaApiError as exc:
                if is_charge_point_unavailable(exc):
                    raise charge_point_unavailable(exc) from exc
                if exc.http_status == 409:  # e.g. a duplicate partnerExternalId: it is ours
                    found = await self._find(req.partner_external_id)
                    if found is not None:
                        return self._snapshot(found)
                raise
            return self._snapshot(charge)

    # ------------------------------------------------------------ read
    @activity.defn(name=MONTA_FIND_CHARGE)
    async def find_charge(self, req: FindChargeInput) -> ChargeSnapshot | None:
        self._check_operator(req.operator)
        with monta_errors():
            found = await self._find(req.partner_external_id)
        return self._snapshot(found) if found is not None else None

    @activity.defn(name=MONTA_GET_CHARGE)
    async def get_charge(self, req: ChargeRef) -> ChargeSnapshot:
        self._check_operator(req.operator)
        with monta_errors():
            return self._snapshot(await self.client.get_charge(req.charge_id))

    @activity.defn(name=MONTA_FIND_CHARGES_UPDATED_SINCE)
    async def find_charges_updated_since(
        self, req: FindChargesUpdatedSinceInput
    ) -> FindChargesUpdatedSinceResult:
        self._check_operator(req.operator)
        latest: dict[int, Charge] = {}
        newest = None
        with monta_errors():
            async for charge in self.client.iter_charges(
                max_pages=req.max_pages, per_page=self._page_size, from_updated=req.since
            ):
                newest = charge.updated_at if newest is None else max(newest, charge.updated_at)
                pid = charge.partner_external_id or ""
                seen = latest.get(charge.id)
                # Pages shift while charges change: keep the newest copy of each charge once.
                if pid.startswith(SESSION_PREFIX) and (
                    seen is None or seen.updated_at <= charge.updated_at
                ):
                    latest[charge.id] = charge
        return FindChargesUpdatedSinceResult(
            charges=[self._snapshot(c) for c in latest.values()], newest_updated_at=newest
        )

    @activity.defn(name=MONTA_GET_CHARGE_TRANSACTIONS)
    async def get_charge_transactions(self, req: ChargeRef) -> list[WalletTransactionSummary]:
        self._check_operator(req.operator)
        out: list[WalletTransactionSummary] = []
        with monta_errors():
            for page_no in range(MAX_TRANSACTION_PAGES):
                page = await self.client.list_wallet_transactions(
                    reference_type="CHARGE",
                    reference_id=req.charge_id,
                    page=page_no,
                    per_page=self._page_size,
                )
                out.extend(
                    summary_from_transaction(tx, self.money_unit)
                    for tx in page.data
                    if tx.reference_id == str(req.charge_id)
                    and (tx.reference_type or "CHARGE").upper() == "CHARGE"
                )
                if page.is_last:
                    break
        return out

    # ------------------------------------------------------------ stop, payment
    @activity.defn(name=MONTA_STOP_CHARGE)
    async def stop_charge(self, req: ChargeRef) -> ChargeSnapshot:
        self._check_operator(req.operator)
        with monta_errors():
            try:
                return self._snapshot(await self.client.stop_charge(req.charge_id))
            except MontaApiError as exc:
                if not exc.is_client_error or exc.http_status in (401, 403, 404, 429):
                    raise
                # Monta refuses to stop what is already stopping or over: that is success.
                current = await self.client.get_charge(req.charge_id)
                if _is_stopping_or_ended(current):
                    return self._snapshot(current)
                raise

    @activity.defn(name=MONTA_ATTACH_PAYMENT)
    async def attach_payment(self, req: AttachPaymentInput) -> None:
        self._check_operator(req.operator)
        amount = to_monta_amount(
            req.captured.amount_minor, currency_decimals(req.captured.currency), self.money_unit
        )
        with monta_errors():
            await self.client.patch_charge(
                req.charge_id, generic_payment_session=_payment_session(req.payment_session, amount)
            )
