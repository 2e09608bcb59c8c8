"""Reconciliation's acquirer side: list holds, void an orphan, through the gateway's own API
(never the emulator's ground truth)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from temporalio import activity

from activities.payments.activities import to_application_error
from activities.payments.errors import PaymentError
from activities.payments.protocol import HoldLister, PaymentGateway
from workflows.contracts import VoidInput, VoidResult
from workflows.reconciliation_models import (
    RECONCILE_HOLDS,
    RECONCILE_VOID_HOLD,
    HoldRecord,
    HoldsInput,
    VoidHoldInput,
)


class PaymentReads:
    def __init__(self, gateway: PaymentGateway) -> None:
        self.gateway = gateway

    def activities(self) -> Sequence[Callable[..., Any]]:
        return [self.holds, self.void_hold]

    @activity.defn(name=RECONCILE_HOLDS)
    async def holds(self, inp: HoldsInput) -> list[HoldRecord]:
        if not self.gateway.capabilities.list_holds or not isinstance(self.gateway, HoldLister):
            activity.logger.warning(
                "%s cannot list holds: orphan holds are not checked",
                self.gateway.capabilities.adapter,
            )
            return []
        try:
            return await self.gateway.list_holds(inp.created_after)
        except PaymentError as exc:
            raise to_application_error(exc) from exc

    @activity.defn(name=RECONCILE_VOID_HOLD)
    async def void_hold(self, inp: VoidHoldInput) -> VoidResult:
        try:
            return await self.gateway.void(
                VoidInput(
                    authorization_id=inp.authorization_id, idempotency_key=inp.idempotency_key
                )
            )
        except PaymentError as exc:
            raise to_application_error(exc) from exc
