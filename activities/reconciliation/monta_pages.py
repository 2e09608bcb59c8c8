"""Monta reads for the watcher and reconciliation: one request per activity, so the
server-side rate limit of `monta-<operator>` (activities per second) bounds requests.

Registered on the operator's own queue next to MontaActivities (one instance per operator).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from temporalio import activity

from activities.monta.client import MAX_PER_PAGE, MontaClient, _query
from activities.monta.convert import snapshot_from_charge, summary_from_transaction
from activities.monta.error_mapping import monta_errors
from activities.monta.models import Page, WalletTransaction
from core.money import MoneyUnit
from workflows.reconciliation_models import MONTA_WALLET_PAGE, WalletPage, WalletPageInput
from workflows.watcher_logic import MONTA_CHARGES_PAGE, ChargesPage, ChargesPageInput


def session_prefix(operator: str) -> str:
    """partnerExternalId of every charge this operator's sessions start (= workflow id)."""
    return f"session-{operator}-"


class MontaPageActivities:
    def __init__(self, client: MontaClient, money_unit: MoneyUnit) -> None:
        self.client = client
        self.operator = client.operator
        self.money_unit: MoneyUnit = money_unit

    def activities(self) -> Sequence[Callable[..., Any]]:
        return [self.charges_page, self.wallet_page]

    @activity.defn(name=MONTA_CHARGES_PAGE)
    async def charges_page(self, req: ChargesPageInput) -> ChargesPage:
        prefix = session_prefix(self.operator)
        with monta_errors():
            page = await self.client.list_charges(
                partner_external_id=req.partner_external_id,
                from_updated=req.from_updated,
                from_completed=req.from_completed,
                to_completed=req.to_completed,
                page=req.page,
                per_page=min(req.per_page, MAX_PER_PAGE),
            )
        newest: datetime | None = max((c.updated_at for c in page.data), default=None)
        ours = [
            snapshot_from_charge(c, self.money_unit)
            for c in page.data
            if (c.partner_external_id or "").startswith(prefix)
        ]
        return ChargesPage(
            charges=ours,
            is_last=page.is_last,
            newest_updated_at=newest,
            seen_on_page=len(page.data),
        )

    @activity.defn(name=MONTA_WALLET_PAGE)
    async def wallet_page(self, req: WalletPageInput) -> WalletPage:
        # MontaClient.list_wallet_transactions has no date filter yet; the spec has
        # fromDate/toDate (createdAt), which keeps the read per window, not per charge.
        params = _query(
            referenceType="CHARGE",
            fromDate=req.from_date,
            toDate=req.to_date,
            page=req.page,
            perPage=MAX_PER_PAGE,
        )
        with monta_errors():
            page = await self.client._fetch(
                Page[WalletTransaction],
                "GET",
                "/wallet-transactions",
                "get-wallet-transactions",
                params=params,
            )
        return WalletPage(
            transactions=[
                summary_from_transaction(tx, self.money_unit)
                for tx in page.data
                if (tx.reference_type or "CHARGE").upper() == "CHARGE"
            ],
            is_last=page.is_last,
        )
