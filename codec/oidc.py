"""Validate the Temporal UI's OIDC access token by asking the provider's userinfo endpoint.

This works with any OIDC provider and needs no JWT library: a token the provider accepts is
a live session of a real user; an email allowlist narrows it to the operations staff.
Positive answers are cached briefly because the UI calls /decode for every page it renders.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence

import httpx

from codec.auth import TokenVerifier

_CACHE_LIMIT = 1024


def userinfo_verifier(
    userinfo_url: str,
    *,
    allowed_emails: Sequence[str] = (),
    timeout_s: float = 5.0,
    cache_ttl_s: float = 60.0,
    client: httpx.AsyncClient | None = None,
    now: Callable[[], float] = time.monotonic,
) -> TokenVerifier:
    allowed = {e.lower() for e in allowed_emails}
    # Only digests of tokens are kept, never the tokens themselves.
    cache: dict[str, float] = {}

    async def ask_provider(token: str) -> dict[str, object] | None:
        headers = {"Authorization": f"Bearer {token}"}
        try:
            if client is not None:
                resp = await client.get(userinfo_url, headers=headers, timeout=timeout_s)
            else:
                async with httpx.AsyncClient(timeout=timeout_s) as own:
                    resp = await own.get(userinfo_url, headers=headers)
        except httpx.HTTPError:
            return None  # fail closed: the provider could not vouch for the token
        if resp.status_code != 200:
            return None
        try:
            body = resp.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def permitted(claims: dict[str, object]) -> bool:
        if not allowed:
            return True
        email = claims.get("email")
        return isinstance(email, str) and email.lower() in allowed

    async def verify(token: str) -> bool:
        digest = hashlib.sha256(token.encode()).hexdigest()
        expires = cache.get(digest)
        if expires is not None and expires > now():
            return True
        claims = await ask_provider(token)
        if claims is None or not permitted(claims):
            return False
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[digest] = now() + cache_ttl_s
        return True

    return verify
