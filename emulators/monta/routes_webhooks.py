"""Webhook config (one per credential) and the entry log."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel

from emulators.monta import serialize
from emulators.monta.deps import WorldDep, require
from emulators.monta.errors import bad_request, not_found
from emulators.monta.query import paging
from emulators.monta.seed import CredentialSeed
from emulators.monta.webhooks import Config
from emulators.monta.world import World

Scope_manage_webhooks_read = Annotated[CredentialSeed, Depends(require("manage-webhooks:read"))]
Scope_manage_webhooks_write = Annotated[CredentialSeed, Depends(require("manage-webhooks:write"))]
Scope_manage_webhooks_delete = Annotated[CredentialSeed, Depends(require("manage-webhooks:delete"))]
Scope_webhooks_read = Annotated[CredentialSeed, Depends(require("webhooks:read"))]
router = APIRouter(prefix="/api/v1")

EVENT_TYPES = {
    "charges",
    "charge-points",
    "sites",
    "users",
    "team-members",
    "teams",
    "installer-jobs",
    "wallet-transactions",
    "price-groups",
    "subscriptions",
    "plans",
    "charge-auth-tokens",
    "reports",
    "ocpp-messages",
    "charge-points-protocol-updates",
    "*",
}
# Monta requires https and not monta.com. Deviation: plain http to loopback is allowed so
# the emulator can call a receiver running on this machine.
_HTTPS = re.compile(r"https://(?!(.*monta\.com?)).*")
_LOCAL = re.compile(r"http://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(/.*)?$")


class CustomHeaders(BaseModel):
    headers: dict[str, str]


class WebhookConfigBody(BaseModel):
    webhookUrl: str
    webhookSecret: str
    eventTypes: list[str]
    customHeaders: CustomHeaders | None = None


def _validate(body: WebhookConfigBody) -> None:
    problems: dict[str, str] = {}
    url = body.webhookUrl
    if len(url) > 191 or not (_HTTPS.fullmatch(url) or _LOCAL.fullmatch(url)):
        problems["webhookUrl"] = "must be an https URL (not on monta.com), max 191 characters"
    if not 16 <= len(body.webhookSecret) <= 191:
        problems["webhookSecret"] = "must be 16-191 characters"
    if len(body.eventTypes) > 512 or not set(body.eventTypes) <= EVENT_TYPES:
        problems["eventTypes"] = f"unknown event types: {set(body.eventTypes) - EVENT_TYPES}"
    headers = body.customHeaders.headers if body.customHeaders else {}
    if len(headers) > 5 or any(not h.startswith("X-") for h in headers):
        problems["customHeaders"] = "at most 5 headers, each starting with X-"
    if problems:
        raise bad_request("Invalid webhook config", {"errors": problems})


def _consumer_id(w: World, client_id: str) -> int:
    ids = [c.clientId for c in w.seed.credentials]
    return 500 + ids.index(client_id)


@router.get("/webhooks/config", operation_id="get-webhook-config")
async def get_config(cred: Scope_manage_webhooks_read, w: WorldDep) -> dict[str, Any]:
    cfg = w.webhooks.configs.get(cred.clientId)
    if cfg is None:
        raise not_found("webhook config")
    return cfg.public()


@router.put("/webhooks/config", operation_id="update-webhook-config")
async def put_config(
    body: WebhookConfigBody,
    cred: Scope_manage_webhooks_write,
    w: WorldDep,
) -> dict[str, Any]:
    _validate(body)
    op = w.seed.operator(cred.operator)
    cfg = Config(
        client_id=cred.clientId,
        consumer_id=_consumer_id(w, cred.clientId),
        operator=cred.operator,
        operator_id=op.id,
        url=body.webhookUrl,
        secret=body.webhookSecret,
        event_types=body.eventTypes,
        custom_headers=body.customHeaders.headers if body.customHeaders else None,
    )
    w.webhooks.configs[cred.clientId] = cfg
    # Pending entries keep their config object; point them at the new URL/secret.
    for e in w.webhooks.queue.get(cred.clientId, []):
        e.config = cfg
    return cfg.public()


@router.delete("/webhooks/config", operation_id="delete-webhook-config", status_code=204)
async def delete_config(cred: Scope_manage_webhooks_delete, w: WorldDep) -> Response:
    if w.webhooks.configs.pop(cred.clientId, None) is None:
        raise not_found("webhook config")
    w.webhooks.queue.pop(cred.clientId, None)
    return Response(status_code=204)


@router.get("/webhooks/entries", operation_id="get-webhook-entries")
async def list_entries(
    *,
    page: int = 0,
    perPage: int = 10,
    status: Literal["pending", "completed", "failed"] | None = None,
    cred: Scope_webhooks_read,
    w: WorldDep,
) -> dict[str, Any]:
    page, perPage = paging(page, perPage)
    rows = [
        e
        for e in reversed(w.webhooks.entries)
        if e.config.client_id == cred.clientId and (status is None or e.status == status)
    ]
    chunk, meta = serialize.paginate(rows, page, perPage)
    return {"data": [e.public() for e in chunk], "meta": meta}
