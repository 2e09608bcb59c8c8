"""Authentication and the current consumer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from emulators.monta.deps import Caller, WorldDep
from emulators.monta.seed import CredentialSeed
from emulators.monta.serialize import SEED_CREATED_AT
from emulators.monta.timefmt import iso
from emulators.monta.world import World, now

router = APIRouter(prefix="/api/v1")


class TokenRequest(BaseModel):
    clientId: str
    clientSecret: str


class RefreshRequest(BaseModel):
    refreshToken: str


def _token_pair(w: World, client_id: str) -> dict[str, Any]:
    t = now()
    access, refresh = w.tokens.issue(
        client_id, t, w.cfg.wall(w.cfg.token_ttl_s), w.cfg.wall(w.cfg.refresh_ttl_s)
    )
    return {
        "accessToken": access.value,
        "refreshToken": refresh.value,
        "accessTokenExpirationDate": iso(access.expires_at),
        "refreshTokenExpirationDate": iso(refresh.expires_at),
    }


@router.post("/auth/token", operation_id="get-access-token-with-client-credentials")
async def token(body: TokenRequest, w: WorldDep) -> dict[str, Any]:
    cred = w.tokens.login(body.clientId, body.clientSecret)
    return _token_pair(w, cred.clientId)


@router.post("/auth/refresh", operation_id="get-access-token-with-refresh-token")
async def refresh(body: RefreshRequest, w: WorldDep) -> dict[str, Any]:
    client_id = w.tokens.use_refresh(body.refreshToken, now())
    return _token_pair(w, client_id)


def consumer_json(w: World, cred: CredentialSeed) -> dict[str, Any]:
    op = w.seed.operator(cred.operator)
    return {
        "name": cred.name,
        "operatorId": op.id,
        "operatorIds": [op.id],
        "teamIds": cred.teamIds,
        "clientId": cred.clientId,
        "rateLimit": w.cfg.rate_limit,
        "rateLimitIntervalInSeconds": int(w.cfg.rate_window_s),
        "scopes": cred.scopes,
        "createdAt": iso(SEED_CREATED_AT),
        "updatedAt": None,
    }


@router.get("/consumers/me", operation_id="get-current-consumer")
async def consumer(cred: Caller, w: WorldDep) -> dict[str, Any]:
    return consumer_json(w, cred)


@router.get("/auth/me", operation_id="get-auth-information", deprecated=True)
async def auth_me(cred: Caller, w: WorldDep) -> dict[str, Any]:
    return consumer_json(w, cred)
