"""What the receipt routes answer: the ledger's receipt, or why there is none (yet).

The ledger is the only source of a receipt; Temporal is asked only to explain a missing one
(no such session, not final, nothing billed, or written in a moment).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel
from temporalio.client import Client

from api.dependencies import AppState
from api.errors import ApiError
from api.session_service import get_status
from receipts.document import CreditNote, Receipt
from receipts.links import LinkExpired, LinkInvalid, parse_secrets, sign_link, verify_link
from workflows.contracts import FINAL_STATES
from workflows.session_receipt import RECEIPT_NOT_WRITTEN

PDF = "application/pdf"


class ReceiptLinks(BaseModel):
    html: str
    pdf: str
    expires_at: datetime


class ReceiptAnswer(BaseModel):
    receipt: Receipt
    # The receipt reissued for a business buyer (its own number; `corrects` names the first).
    corrected: Receipt | None = None
    credit_notes: list[CreditNote]
    links: ReceiptLinks | None  # None: receipt links are not configured


async def answer(state: AppState, receipt: Receipt, base_url: str) -> ReceiptAnswer:
    return ReceiptAnswer(
        receipt=receipt,
        corrected=await state.ledger.correction(receipt.session_id),
        credit_notes=await state.ledger.credit_notes(receipt.session_id),
        links=links_for(state, receipt, base_url),
    )


async def why_no_receipt(client: Client, session_id: str) -> ApiError:
    status = await get_status(client, session_id)  # 404 when there is no such session
    details = {"state": status.state}
    if status.state not in FINAL_STATES:
        return ApiError(409, "session_not_final", f"session is {status.state}", details)
    if status.state != "completed" or not (status.captured and status.captured.amount_minor):
        return ApiError(409, "no_receipt", f"session {status.state} billed nothing", details)
    if status.attention == RECEIPT_NOT_WRITTEN:  # the ledger stayed down: not worth a retry
        message = "the receipt could not be written; the operator has been alerted"
        return ApiError(409, RECEIPT_NOT_WRITTEN, message, details)
    return ApiError(409, "receipt_pending", "the receipt is being written: retry", details)


def _secrets(state: AppState) -> tuple[str, ...]:
    return parse_secrets(state.settings.receipt_link_secrets)


def links_for(state: AppState, receipt: Receipt, base_url: str) -> ReceiptLinks | None:
    secrets = _secrets(state)
    if not secrets:
        return None
    days = state.settings.receipt_link_days
    # Anchored at the receipt's issue: the same link every time it is asked for.
    expires = int(receipt.issued_at.timestamp()) + days * 86_400
    token = sign_link(secrets, receipt.session_id, expires)
    base = (state.settings.receipt_link_base_url or base_url).rstrip("/")
    url = f"{base}/v1/receipts/{token}"
    return ReceiptLinks(html=url, pdf=f"{url}.pdf", expires_at=datetime.fromtimestamp(expires, UTC))


def session_of_link(state: AppState, token: str) -> str:
    secrets = _secrets(state)
    if not secrets:
        raise ApiError(404, "not_found", "receipt links are not enabled")
    try:
        return verify_link(secrets, token, int(time.time())).session_id
    except LinkExpired as exc:
        raise ApiError(410, "receipt_link_expired", str(exc)) from exc
    except LinkInvalid as exc:
        raise ApiError(403, "receipt_link_invalid", str(exc)) from exc


def wants(accept: str | None, pdf_suffix: bool) -> Literal["html", "pdf"]:
    return "pdf" if pdf_suffix or PDF in (accept or "").lower() else "html"
