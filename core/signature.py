"""Monta's webhook signature: `X-Monta-Signature: sha1=<hex HMAC-SHA1(secret, raw body)>`."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

HEADER = "X-Monta-Signature"
PREFIX = "sha1="


def sign(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha1).hexdigest()
    return PREFIX + digest


def verify(secrets: Iterable[str], body: bytes, header_value: str | None) -> bool:
    """Constant-time check against every accepted secret (two during rotation)."""
    if not header_value:
        return False
    # Bytes, not str: compare_digest refuses a non-ASCII str (a hostile header is no match).
    given = header_value.strip().encode("utf-8", "surrogateescape")
    ok = False
    for secret in secrets:
        # No early exit: the time taken must not reveal which secret matched.
        ok |= hmac.compare_digest(sign(secret, body).encode(), given)
    return ok
