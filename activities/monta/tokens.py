"""The access-token cache of one Monta credential.

Refresh tokens rotate: two concurrent refreshes would invalidate each other, so every
token change happens under one asyncio.Lock (single-flight) and callers that waited on the
lock re-check before refreshing again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from activities.monta.errors import MontaApiError
from activities.monta.models import Token

Now = Callable[[], datetime]
FetchToken = Callable[[], Awaitable[Token]]
RefreshToken = Callable[[str], Awaitable[Token]]


def utc_now() -> datetime:
    return datetime.now(UTC)


class TokenCache:
    def __init__(
        self,
        fetch: FetchToken,
        refresh: RefreshToken,
        *,
        refresh_margin_s: float,
        now: Now = utc_now,
    ) -> None:
        self._fetch = fetch
        self._refresh = refresh
        self._margin_s = refresh_margin_s
        self._now = now
        self._lock = asyncio.Lock()
        self._token: Token | None = None
        self._refresh_at: datetime | None = None
        self.fetches = 0  # client-credential logins (for tests and metrics)
        self.refreshes = 0  # successful /auth/refresh calls

    def _fresh(self) -> str | None:
        if self._token is None or self._refresh_at is None or self._now() >= self._refresh_at:
            return None
        return self._token.access_token

    def _store(self, token: Token) -> None:
        now = self._now()
        lifetime = token.access_token_expiration_date - now
        # A margin longer than the token's life would refresh on every call: cap it at half.
        margin = max(timedelta(0), min(timedelta(seconds=self._margin_s), lifetime / 2))
        self._token = token
        self._refresh_at = token.access_token_expiration_date - margin

    async def access_token(self) -> str:
        token = self._fresh()
        if token is not None:
            return token
        async with self._lock:
            token = self._fresh()  # another caller may have refreshed while we waited
            if token is not None:
                return token
            self._store(await self._renew())
            assert self._token is not None
            return self._token.access_token

    async def _renew(self) -> Token:
        old = self._token
        if old is not None and self._now() < old.refresh_token_expiration_date:
            try:
                token = await self._refresh(old.refresh_token)
                self.refreshes += 1
                return token
            except MontaApiError as exc:
                if not exc.is_client_error:
                    raise
                # Refresh refused (expired, rotated away, revoked): log in again below.
        self.fetches += 1
        return await self._fetch()

    async def invalidate(self, access_token: str) -> None:
        """Monta rejected `access_token`: drop it unless someone already replaced it."""
        async with self._lock:
            if self._token is not None and self._token.access_token == access_token:
                self._refresh_at = None
