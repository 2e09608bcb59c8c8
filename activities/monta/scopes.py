"""Scope check at worker start: fail fast on a credential chargepay cannot work with, warn
about the features a missing optional scope turns off.

Scopes are `entity:permission` with read < write < delete (each includes the lower ones);
`all[:perm]` covers every entity and the old unsuffixed names (`charge-transactions`,
`control-charging`, `all`, ...) grant every permission of their entity.
"""

from __future__ import annotations

from collections.abc import Iterable

from activities.monta.client import MontaClient
from activities.monta.errors import MontaApiError, MontaScopeError

_LEVEL = {"read": 1, "write": 2, "delete": 3}

# Each requirement is satisfied by any one of its alternatives.
REQUIRED: tuple[tuple[str, ...], ...] = (
    ("charge-transactions:read",),
    ("control-charging:write", "control-public-charging:write"),
)
OPTIONAL: dict[str, str] = {
    "charge-points:read": "charge point lookup before a start (state, power, price group)",
    "price-groups:read": "Monta price-group tariffs (the local tariff table is used instead)",
    "charges:write": "attaching the captured payment to the charge for the driver's receipt",
    "wallet-transactions:read": "wallet-transaction reconciliation of finished charges",
    "manage-webhooks:write": "registering the webhook config (polling only)",
}


def has_scope(granted: Iterable[str], needed: str) -> bool:
    entity, _, permission = needed.partition(":")
    need = _LEVEL.get(permission, 1)
    for scope in granted:
        g_entity, _, g_permission = scope.strip().lower().partition(":")
        if g_entity not in (entity, "all"):
            continue
        if not g_permission or _LEVEL.get(g_permission, 0) >= need:
            return True
    return False


def scope_problems(operator_key: str, granted: list[str]) -> tuple[list[str], list[str]]:
    """(errors, warnings) for a credential's scopes; pure, for unit tests."""
    errors = [
        f"operator {operator_key!r}: the Monta credential lacks scope "
        f"{' or '.join(alternatives)} (required)"
        for alternatives in REQUIRED
        if not any(has_scope(granted, s) for s in alternatives)
    ]
    warnings = [
        f"operator {operator_key!r}: Monta scope {scope} missing: {feature} disabled"
        for scope, feature in OPTIONAL.items()
        if not has_scope(granted, scope)
    ]
    return errors, warnings


async def check_consumer(client: MontaClient, operator_key: str) -> list[str]:
    """`GET /consumers/me`; raises MontaScopeError on bad credentials or a missing required
    scope, returns one warning per missing optional scope. Transport errors and 5xx
    propagate unchanged: Monta being down says nothing about the credential."""
    try:
        consumer = await client.get_consumer()
    except MontaApiError as exc:
        if exc.http_status in (401, 403):
            raise MontaScopeError(
                f"operator {operator_key!r}: Monta rejected the credential "
                f"(HTTP {exc.http_status} {exc.error_code}): check its client id and secret"
            ) from exc
        raise
    errors, warnings = scope_problems(operator_key, consumer.scopes)
    if errors:
        raise MontaScopeError("; ".join(errors))
    return warnings
