"""Receipts: JSON for the terminal (its key), and a signed link (no key) to a printable
HTML page or a PDF for the QR code the terminal shows. Read-only: the session writes them."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Header, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Terminal, require_session_owner
from api.dependencies import State, Temporal
from api.errors import ApiError, error_responses
from api.receipt_service import (
    ReceiptAnswer,
    answer,
    links_for,
    session_of_link,
    wants,
    why_no_receipt,
)
from api.records_workflow import buyer_of, records_start, send_correction
from api.routers.sessions import SessionId
from receipts.links import MAX_TOKEN_LENGTH
from receipts.render import PdfUnavailable, render_html, render_pdf

router = APIRouter(tags=["receipts"])

Token = Annotated[str, Path(max_length=MAX_TOKEN_LENGTH)]
# The page holds a bearer link: no referrer, no indexing, nothing loaded from elsewhere.
_PAGE_HEADERS = {
    "Cache-Control": "private, max-age=300",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    "X-Content-Type-Options": "nosniff",
}


@router.get(
    "/v1/sessions/{session_id}/receipt",
    response_model=ReceiptAnswer,
    responses=error_responses(401, 403, 404, 409, 503),
    summary="A completed session's itemized receipt, with its signed links",
    description=(
        "409 `session_not_final` (still running), `no_receipt` (voided, declined, nothing "
        "billed) or `receipt_pending` (completed, being written: retry)."
    ),
)
async def get_receipt(
    session_id: SessionId, scope: Terminal, state: State, client: Temporal, request: Request
) -> ReceiptAnswer:
    require_session_owner(scope, session_id)
    receipt = await state.ledger.receipt(session_id)
    if receipt is None:
        raise await why_no_receipt(client, session_id)
    return await answer(state, receipt, str(request.base_url))


async def _page(
    state: State, token: str, request: Request, pdf: bool, accept: str | None = None
) -> Response:
    session_id = session_of_link(state, token)
    receipt = await state.ledger.receipt(session_id)
    if receipt is None:  # a link is only ever made for a written receipt
        raise ApiError(404, "receipt_not_found", "no receipt for this link")
    notes = await state.ledger.credit_notes(session_id)
    links = links_for(state, receipt, str(request.base_url))
    # A receipt reissued for a business buyer replaces the first for the driver.
    shown = await state.ledger.correction(session_id) or receipt
    html = render_html(shown, notes, links.html if links else str(request.url))
    if wants(accept, pdf) == "html":
        return HTMLResponse(html, headers=_PAGE_HEADERS)
    async with state.pdf_slots:
        try:
            body = await asyncio.to_thread(render_pdf, html)
        except PdfUnavailable as exc:
            raise ApiError(
                503, "pdf_unavailable", "PDFs cannot be made here; use the page"
            ) from exc
    disposition = f'inline; filename="receipt-{shown.number_text}.pdf"'
    headers = {**_PAGE_HEADERS, "Content-Disposition": disposition}
    return Response(body, media_type="application/pdf", headers=headers)


_LINK_ERRORS = error_responses(403, 404, 410, 503)


@router.get(
    "/v1/receipts/{token}.pdf",
    responses={200: {"content": {"application/pdf": {}}}, **_LINK_ERRORS},
    summary="The receipt as a PDF (signed link, no key)",
)
async def receipt_pdf(token: Token, state: State, request: Request) -> Response:
    return await _page(state, token, request, pdf=True)


@router.get(
    "/v1/receipts/{token}",
    responses={200: {"content": {"text/html": {}, "application/pdf": {}}}, **_LINK_ERRORS},
    summary="The receipt as a printable page, or a PDF for `Accept: application/pdf`",
)
async def receipt_page(
    token: Token,
    state: State,
    request: Request,
    accept: Annotated[str | None, Header(max_length=1000)] = None,
) -> Response:
    return await _page(state, token, request, pdf=False, accept=accept)


class BusinessBuyer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vat_id: str = Field(min_length=4, max_length=30, examples=["DE123456789"])
    name: str = Field(min_length=1, max_length=200, examples=["Muster GmbH"])


@router.post(
    "/v1/receipts/{token}/business",
    response_model=ReceiptAnswer,
    responses=error_responses(400, 403, 404, 409, 410, 413, 422, 502, 503, 504),
    summary="Reissue the receipt for a business buyer's VAT id (signed link, no key; once)",
    description=(
        "The corrected receipt has its own number and names the first in `corrects`. The "
        "same buyer again answers it; another is `409 receipt_already_corrected`."
    ),
)
async def correct_for_business(
    token: Token, body: BusinessBuyer, state: State, client: Temporal, request: Request
) -> ReceiptAnswer:
    session_id = session_of_link(state, token)
    buyer = buyer_of(body.vat_id, body.name)
    receipt, start = await records_start(state, client, session_id)
    s = state.settings
    await send_correction(client, start, buyer, s.session_task_queue, s.api_start_wait_s)
    return await answer(state, receipt, str(request.base_url))
