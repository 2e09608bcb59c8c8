"""Signed receipt links: `<payload>.<signature>`, no key needed, for the terminal's QR code.

The payload is the session id and the link's expiry (unix seconds), base64url; the signature
is HMAC-SHA256 over it with the first configured secret (the others still verify, so a
secret can be rotated without breaking printed codes). Session ids can be guessed; the
256-bit signature cannot. Pure: the clock is the caller's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

MIN_SECRET_LENGTH = 32
MAX_TOKEN_LENGTH = 500
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{1,400}\.[A-Za-z0-9_-]{43}$"


class LinkInvalid(ValueError):
    """Not a link we signed (malformed or forged)."""


class LinkExpired(ValueError):
    """A link we signed, past its expiry."""


@dataclass(frozen=True)
class LinkClaims:
    session_id: str
    expires_at: int  # unix seconds


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())


def parse_secrets(raw: str) -> tuple[str, ...]:
    secrets = tuple(s.strip() for s in raw.split(",") if s.strip())
    if any(len(s) < MIN_SECRET_LENGTH for s in secrets):
        raise ValueError(f"receipt link secrets must be at least {MIN_SECRET_LENGTH} characters")
    return secrets


def sign_link(secrets: tuple[str, ...], session_id: str, expires_at: int) -> str:
    payload = _b64(f"{session_id}|{expires_at}".encode())
    return f"{payload}.{_sign(secrets[0], payload)}"


def verify_link(secrets: tuple[str, ...], token: str, now: int) -> LinkClaims:
    """The link's claims; LinkInvalid unless one secret signed it, then LinkExpired if late."""
    if len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise LinkInvalid("malformed receipt link")
    payload, signature = token.split(".")
    if not any(hmac.compare_digest(_sign(s, payload), signature) for s in secrets):
        raise LinkInvalid("receipt link signature does not match")
    try:
        session_id, expires = _unb64(payload).decode().rsplit("|", 1)
        claims = LinkClaims(session_id=session_id, expires_at=int(expires))
    except (ValueError, UnicodeDecodeError) as exc:  # signed by us, so never expected
        raise LinkInvalid("malformed receipt link") from exc
    if now >= claims.expires_at:
        raise LinkExpired("receipt link expired")
    return claims
