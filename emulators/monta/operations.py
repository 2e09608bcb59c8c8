"""The spec operationIds the emulator serves: what a request is, and what a fault may name."""

from __future__ import annotations

from functools import cache

from fastapi import Request
from starlette.routing import Match

from emulators.monta import (
    routes_auth,
    routes_charges,
    routes_points,
    routes_wallet,
    routes_webhooks,
)

API_MODULES = (routes_auth, routes_points, routes_charges, routes_wallet, routes_webhooks)


def operation_id(request: Request) -> str | None:
    """The spec's operationId of the route this request will hit (None if none)."""
    for module in API_MODULES:
        for route in module.router.routes:
            match, _ = route.matches(request.scope)
            if match == Match.FULL:
                return getattr(route, "operation_id", None)
    return None


@cache
def known_operations() -> frozenset[str]:
    """Every operationId served: a fault rule naming another one would silently never fire."""
    return frozenset(
        op
        for module in API_MODULES
        for route in module.router.routes
        if (op := getattr(route, "operation_id", None)) is not None
    )
