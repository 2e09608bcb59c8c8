"""Reconciliation's read of the ledger: what it recorded as refunded, per hold."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Engine
from temporalio import activity

from ledger.refunds_store import refunded_by_authorization
from workflows.reconciliation_models import RECONCILE_LEDGER_REFUNDS


class LedgerReads:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn(name=RECONCILE_LEDGER_REFUNDS)
    async def refunded(self, authorization_ids: list[str]) -> dict[str, int]:
        return await asyncio.to_thread(refunded_by_authorization, self._engine, authorization_ids)

    def activities(self) -> Sequence[Callable[..., Any]]:
        return [self.refunded]
