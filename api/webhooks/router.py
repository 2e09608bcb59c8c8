"""`POST /v1/webhooks/monta/{operator}`: signed batches from Monta become workflow signals.

Snapshots are coalesced (`coalesce`): only a meaningful change is signalled, the rest is
acknowledged. 2xx only once Temporal accepted every signal that was needed; 5xx otherwise
(after a short in-request retry of a busy session, `sender`), so Monta
redelivers the batch (replays are harmless: merging snapshots is idempotent). A signal to a
session that already finished is accepted-and-ignored.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

from fastapi import APIRouter, Header, Path, Request
from pydantic import BaseModel

from activities.monta import jsonio
from api.dependencies import State
from api.errors import ApiError, error_responses
from api.webhooks.batch import InvalidBatch, read_batch
from api.webhooks.sender import Outcome, SignalSender
from api.webhooks.watcher_hint import WebhookSeenNotifier
from core import signature
from observability.logging import bind
from observability.metrics import record_webhook_batch
from workflows.contracts import ChargeSnapshot

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

_OPERATOR_EXAMPLES = {"alpha": {"value": "alpha"}, "bravo": {"value": "bravo"}}


class WebhookAck(BaseModel):
    entries: int
    signalled: int
    coalesced: int = 0  # no meaningful change for the session: acknowledged, not signalled
    finished: int  # sessions already over: accepted and ignored
    not_ours: int
    unreadable: int


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "payload_too_large", f"body above {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "payload_too_large", f"body above {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _signal(sender: SignalSender, snap: ChargeSnapshot, operator: str) -> Outcome:
    with bind(session_id=snap.partner_external_id, monta_charge_id=snap.charge_id):
        return await sender.deliver(snap, operator)


async def _tell_watcher(notifier: WebhookSeenNotifier | None, operator: str) -> None:
    """Webhooks are flowing: the operator's polling watcher may slow down (best effort)."""
    if notifier is None:
        return
    try:
        await notifier.seen(operator)
    except Exception as exc:  # never fail a delivery over the watcher hint
        log.warning("webhook-seen hint for %s failed: %r", operator, exc)


@router.post(
    "/monta/{operator}",
    response_model=WebhookAck,
    responses=error_responses(400, 401, 413, 503),
    summary="Monta webhook batch (signed with the operator's webhook secret)",
)
async def monta_webhook(
    operator: Annotated[
        str, Path(pattern=r"^[a-z0-9][a-z0-9_]{0,31}$", openapi_examples=_OPERATOR_EXAMPLES)
    ],
    request: Request,
    state: State,
    x_monta_signature: Annotated[str | None, Header(max_length=200)] = None,
) -> WebhookAck:
    op = state.operators.get(operator)
    raw = await _read_capped(request, state.settings.webhook_max_body_bytes)
    # An unknown operator answers exactly as a bad signature does: no way to list operators.
    secrets = [s.get_secret_value() for s in op.webhook_secrets] if op else []
    if op is None or not signature.verify(secrets, raw, x_monta_signature):
        record_webhook_batch(operator, "bad_signature")
        raise ApiError(401, "invalid_signature", "X-Monta-Signature does not match")
    try:
        batch = read_batch(jsonio.loads(raw), operator, state.settings.monta_money_unit)
    except (ValueError, InvalidBatch, RecursionError) as exc:  # nested past any real batch
        record_webhook_batch(operator, "invalid")
        raise ApiError(400, "invalid_payload", f"not a webhook batch: {exc}") from exc
    outcomes: list[Outcome] = []
    if batch.snapshots:
        sender = state.signals
        if sender is None:
            record_webhook_batch(operator, "retry")
            raise ApiError(503, "temporal_unavailable", "not connected to Temporal yet")
        signals = (_signal(sender, s, operator) for s in batch.snapshots)
        outcomes = list(await asyncio.gather(*signals))
    failed = outcomes.count("failed")
    counts = {
        "signalled": outcomes.count("signalled"),
        "coalesced": outcomes.count("coalesced"),
        "finished": outcomes.count("finished"),
        "failed": failed,
        "not_ours": batch.not_ours,
        "unreadable": batch.unreadable,
    }
    record_webhook_batch(operator, "retry" if failed else "accepted", counts)
    if failed:
        raise ApiError(
            503,
            "temporal_unavailable",
            f"{failed} of {len(outcomes)} signals were not accepted; redeliver",
        )
    await _tell_watcher(state.watcher_hint, operator)
    return WebhookAck(
        entries=batch.entries,
        signalled=counts["signalled"],
        coalesced=counts["coalesced"],
        finished=counts["finished"],
        not_ours=batch.not_ours,
        unreadable=batch.unreadable,
    )
