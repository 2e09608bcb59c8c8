"""Credentials, rotating tokens and scope checks."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from emulators.monta.errors import MontaError, invalid_token
from emulators.monta.seed import CredentialSeed

_LEVELS = {"read": 1, "write": 2, "delete": 3}


@dataclass
class Token:
    value: str
    client_id: str
    expires_at: float


def has_scope(granted: list[str], needed: str) -> bool:
    """`entity:perm`, where delete > write > read; legacy unsuffixed names and `all:*` count."""
    entity, _, perm = needed.partition(":")
    for scope in granted:
        g_entity, _, g_perm = scope.partition(":")
        if g_entity not in (entity, "all"):
            continue
        if not g_perm or _LEVELS.get(g_perm, 0) >= _LEVELS[perm]:
            return True
    return False


class TokenStore:
    def __init__(self, credentials: list[CredentialSeed]) -> None:
        self.credentials = {c.clientId: c for c in credentials}
        self.access: dict[str, Token] = {}
        self.refresh: dict[str, Token] = {}

    def issue(
        self, client_id: str, now: float, access_ttl: float, refresh_ttl: float
    ) -> tuple[Token, Token]:
        """A new (access, refresh) pair; TTLs are wall seconds."""
        access = Token(str(uuid.uuid4()), client_id, now + access_ttl)
        refresh = Token(secrets.token_urlsafe(32), client_id, now + refresh_ttl)
        self.access[access.value] = access
        self.refresh[refresh.value] = refresh
        return access, refresh

    def login(self, client_id: str, secret: str) -> CredentialSeed:
        cred = self.credentials.get(client_id)
        if cred is None or not secrets.compare_digest(cred.clientSecret, secret):
            raise MontaError(
                401,
                "CONSUMER_NOT_FOUND",
                "Consumer with given `clientId` and `clientSecret` not found",
            )
        return cred

    def use_refresh(self, value: str, now: float) -> str:
        """Rotation: a refresh token works once."""
        tok = self.refresh.pop(value, None)
        if tok is None or tok.expires_at <= now:
            raise invalid_token()
        return tok.client_id

    def resolve(self, value: str | None, now: float) -> CredentialSeed | None:
        if not value:
            return None
        tok = self.access.get(value)
        if tok is None or tok.expires_at <= now:
            return None
        return self.credentials.get(tok.client_id)

    def purge(self, now: float) -> None:
        for store in (self.access, self.refresh):
            for k in [k for k, t in store.items() if t.expires_at <= now]:
                del store[k]
