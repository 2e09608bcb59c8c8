"""Who may ask the codec server to decrypt: operator bearer tokens, checked in constant time.

Two ways in, either is enough:
- static tokens (`CHARGEPAY_CODEC_AUTH_TOKEN`, comma-separated for rotation) for the CLI
  (`temporal --codec-auth "Bearer …"`) and scripts;
- the Temporal UI's OIDC access token (`TEMPORAL_CODEC_PASS_ACCESS_TOKEN=true`), checked
  against the identity provider's userinfo endpoint (codec/oidc.py).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Sequence

TokenVerifier = Callable[[str], Awaitable[bool]]


def static_token_verifier(tokens: Sequence[str]) -> TokenVerifier:
    expected = [t.encode() for t in tokens if t]

    async def verify(token: str) -> bool:
        presented = token.encode()
        # Compare against every token (no early exit) so timing reveals nothing.
        matches = [hmac.compare_digest(presented, t) for t in expected]
        return any(matches)

    return verify


def any_of(verifiers: Sequence[TokenVerifier]) -> TokenVerifier:
    async def verify(token: str) -> bool:
        for check in verifiers:
            if await check(token):
                return True
        return False

    return verify


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]
