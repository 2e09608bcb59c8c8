"""Wallet transactions (a completed, priced charge creates team -> operator)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from emulators.monta import serialize
from emulators.monta.deps import WorldDep, require
from emulators.monta.errors import MontaError
from emulators.monta.query import instant, paging
from emulators.monta.seed import CredentialSeed

Scope_wallet_transactions_read = Annotated[
    CredentialSeed, Depends(require("wallet-transactions:read"))
]
router = APIRouter(prefix="/api/v1")
# The wallet endpoint is strict about dates: yyyy-MM-ddTHH:mm:ssZ, no fractions.
_STRICT_DATE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"
ReferenceType = Literal[
    "TEAM",
    "COMPANY_REFERRAL",
    "USER_REFERRAL",
    "ORDER",
    "SUBSCRIPTION_PURCHASE",
    "CHARGE",
    "BANK_ACCOUNT",
    "WALLET_BANK_ACCOUNT",
    "STRIPE_CHARGE",
    "SUBSCRIPTION",
    "TRANSACTION",
    "PROMO_CODE_USE",
    "TEAM_MEMBER_FEE_PURCHASE",
    "WALLET",
    "PAYTER_PAYMENT_SESSION",
    "ADYEN_PAYMENT",
    "POWER_BANK_PAYOUT",
    "OTHER",
]


@router.get("/wallet-transactions", operation_id="get-wallet-transactions")
async def list_transactions(
    *,
    page: int = 0,
    perPage: int = 10,
    operatorId: int | None = None,
    teamId: int | None = None,
    fromDate: Annotated[str | None, Query(pattern=_STRICT_DATE)] = None,
    toDate: Annotated[str | None, Query(pattern=_STRICT_DATE)] = None,
    referenceId: str | None = None,
    referenceType: ReferenceType | None = None,
    state: Literal["complete", "pending", "failed", "reserved", "other"] | None = None,
    group: Literal["deposit", "withdraw", "charge", "other"] | None = None,
    cred: Scope_wallet_transactions_read,
    w: WorldDep,
) -> dict[str, Any]:
    page, perPage = paging(page, perPage)
    op = w.seed.operator(cred.operator)
    if operatorId is not None and operatorId != op.id:
        raise MontaError(403, "ACCESS_FORBIDDEN", "Operator doesn't have access to resource")
    from_d, to_d = instant("fromDate", fromDate), instant("toDate", toDate)

    def keep(tx: dict[str, Any]) -> bool:
        created = tx["_created"]
        checks = [
            tx["_operator"] == cred.operator,
            teamId is None or tx["_teamId"] == teamId,
            from_d is None or created >= from_d,
            to_d is None or created <= to_d,
            referenceId is None or tx["referenceId"] == referenceId,
            referenceType is None or tx["referenceType"].upper() == referenceType.upper(),
            state is None or tx["state"] == state,
            group is None or tx["group"] == group,
        ]
        return all(checks)

    rows = [tx for tx in w.wallet if keep(tx)]
    chunk, meta = serialize.paginate(rows, page, perPage)
    return {
        "data": [{k: v for k, v in tx.items() if not k.startswith("_")} for tx in chunk],
        "meta": meta,
    }
