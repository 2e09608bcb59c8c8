"""Request dependencies: the world, the calling credential, scope checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from emulators.monta.auth import has_scope
from emulators.monta.errors import MontaError, invalid_token
from emulators.monta.seed import CredentialSeed
from emulators.monta.world import World, now


async def world(request: Request) -> World:
    w: World = request.app.state.world
    return w


def caller_of(request: Request) -> CredentialSeed:
    """The credential behind the bearer token (resolved once by the middleware)."""
    cred: CredentialSeed | None = getattr(request.state, "cred", None)
    if cred is None:
        raise invalid_token()
    return cred


async def caller(request: Request) -> CredentialSeed:
    return caller_of(request)


def require(*scopes: str) -> Callable[[Request], Awaitable[CredentialSeed]]:
    """Any one of `scopes` suffices (e.g. control-charging or control-public-charging)."""

    # async: FastAPI runs sync dependencies in a thread pool; the world is single-threaded.
    async def check(request: Request) -> CredentialSeed:
        cred = caller_of(request)
        if not any(has_scope(cred.scopes, s) for s in scopes):
            raise MontaError(
                403,
                "ACCESS_FORBIDDEN",
                "Operator doesn't have access to resource",
                readable=f"Missing scope: {' or '.join(scopes)}",
            )
        return cred

    return check


async def received_at(request: Request) -> float:
    """When the request reached the emulator's edge (the middleware's clock reading): a stop
    takes effect, and is recorded, at its arrival, not after this process's own handling."""
    t: float | None = getattr(request.state, "received_at", None)
    return now() if t is None else t


WorldDep = Annotated[World, Depends(world)]
ReceivedAt = Annotated[float, Depends(received_at)]
Caller = Annotated[CredentialSeed, Depends(caller)]
