"""Validate the Temporal UI's OIDC access token by asking the provider's userinfo endpoint.

This works with any OIDC provider and needs no JWT library: a token the provider accepts at
userinfo is a live session of a real user. That alone is not enough to decrypt histories, so a
token passes only if all of these hold:

- the provider answers 200 with a JSON object for it (any failure or timeout means no);
- it was issued for this audience (`audience`, see `audience_matches` for how);
- the user is on an allowlist: a verified email (`email_verified` exactly true) in
  `allowed_emails`, or a group in `allowed_groups` found in the `groups_claim` claim.

A verifier without an allowlist or without an audience is refused when it is built
(`OidcConfigError`), so a misconfigured codec server does not start rather than let every user
of the provider in. Positive answers are cached for a few seconds (at most `MAX_CACHE_TTL_S`),
keyed by the token's SHA-256, because the UI calls /decode for every page it renders; a token
revoked at the provider is therefore refused at most `cache_ttl_s` later. Refusals are not
cached.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import time
from collections.abc import Callable, Sequence

import httpx

from codec.auth import TokenVerifier

DEFAULT_CACHE_TTL_S = 5.0
MAX_CACHE_TTL_S = 30.0
_CACHE_LIMIT = 1024
# RFC 6750 b64token: what a bearer token may look like. Anything else (non-ASCII, spaces,
# control characters) is refused before it reaches the provider, or the HTTP client.
_BEARER_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


class OidcConfigError(ValueError):
    """The OIDC check is configured so that it would let too many people in."""


def normalize_email(email: str) -> str | None:
    """`local@domain` with the domain lower-cased and the local part exactly as given.

    Domains are case-insensitive (DNS), but RFC 5321 leaves the local part to the mail host,
    which may treat `Ops@` and `ops@` as different mailboxes, and an identity provider may hold
    them as different accounts. Folding case could let a look-alike account match an allowlist
    entry, so the local part must match exactly. None for a string that is not `x@y`.
    """
    local, at, domain = email.strip().rpartition("@")
    if not at or not local or not domain:
        return None
    return f"{local}@{domain.lower()}"


def _strings(value: object) -> set[str]:
    """A claim that is a string or a list of strings, as a set (anything else: empty)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {item for item in value if isinstance(item, str)}
    return set()


def unverified_jwt_claims(token: str) -> dict[str, object] | None:
    """The payload of a token shaped like a JWT (three base64url segments), NOT verified.

    None when the token is not JWT-shaped (opaque); an empty dict when it is but its payload
    is not a JSON object, so that it carries no audience and is refused.
    """
    parts = token.split(".")
    if len(parts) != 3:
        return None
    segment = parts[1]
    try:
        raw = base64.b64decode(segment + "=" * (-len(segment) % 4), altchars=b"-_", validate=True)
        claims = json.loads(raw)
    except (binascii.Error, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


def audience_matches(
    audience: str, jwt_claims: dict[str, object] | None, userinfo: dict[str, object]
) -> bool:
    """Whether the token was issued for `audience`.

    Userinfo answers usually carry no `aud`, and asking the provider's introspection endpoint
    would need client credentials, so:

    - a JWT access token: its `aud` (a string or a list) must contain `audience`. The payload
      is decoded without checking the signature, only to read `aud`: the provider has just
      accepted the very same token at userinfo, which it does only for a token it signed and
      that has not expired, so the claims are the provider's;
    - an opaque token (not a JWT): the userinfo answer must itself carry a matching `aud`;
    - anything else (a JWT-shaped token whose payload cannot be read, a missing `aud`): no.
    """
    source = userinfo if jwt_claims is None else jwt_claims
    return audience in _strings(source.get("aud"))


def userinfo_verifier(
    userinfo_url: str,
    *,
    audience: str,
    allowed_emails: Sequence[str] = (),
    allowed_groups: Sequence[str] = (),
    groups_claim: str = "groups",
    timeout_s: float = 5.0,
    cache_ttl_s: float = DEFAULT_CACHE_TTL_S,
    client: httpx.AsyncClient | None = None,
    now: Callable[[], float] = time.monotonic,
) -> TokenVerifier:
    """A verifier for the UI's access tokens; raises `OidcConfigError` if it would be permissive."""
    if not audience.strip():
        raise OidcConfigError("the OIDC check needs an audience")
    audience = audience.strip()
    emails: set[str] = set()
    for entry in allowed_emails:
        email = normalize_email(entry)
        if email is None:
            raise OidcConfigError(f"not an email address in the OIDC allowlist: {entry!r}")
        emails.add(email)
    groups = {g.strip() for g in allowed_groups if g.strip()}
    if not emails and not groups:
        raise OidcConfigError("the OIDC check needs allowed emails or allowed groups")
    if groups and not groups_claim.strip():
        raise OidcConfigError("allowed groups are set but the groups claim name is empty")
    if not 0 <= cache_ttl_s <= MAX_CACHE_TTL_S:
        raise OidcConfigError(f"the OIDC cache TTL must be 0 to {MAX_CACHE_TTL_S:g} s")
    claim_name = groups_claim.strip()
    # Only digests of tokens are kept, never the tokens themselves; only positive answers.
    cache: dict[str, float] = {}

    async def ask_provider(token: str) -> dict[str, object] | None:
        headers = {"Authorization": f"Bearer {token}"}
        try:
            if client is not None:
                resp = await client.get(userinfo_url, headers=headers, timeout=timeout_s)
            else:
                async with httpx.AsyncClient(timeout=timeout_s) as own:
                    resp = await own.get(userinfo_url, headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL):
            return None  # fail closed: the provider could not vouch for the token
        if resp.status_code != 200:
            return None
        try:
            body = resp.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def permitted(claims: dict[str, object]) -> bool:
        email = claims.get("email")
        if claims.get("email_verified") is True and isinstance(email, str):
            if normalize_email(email) in emails:
                return True
        return not groups.isdisjoint(_strings(claims.get(claim_name)))

    async def verify(token: str) -> bool:
        if not _BEARER_TOKEN.fullmatch(token):
            return False
        digest = hashlib.sha256(token.encode()).hexdigest()
        expires = cache.get(digest)
        if expires is not None:
            if expires > now():
                return True
            del cache[digest]
        jwt_claims = unverified_jwt_claims(token)
        if jwt_claims is not None and not audience_matches(audience, jwt_claims, {}):
            return False  # not for us: no need to ask the provider
        claims = await ask_provider(token)
        if claims is None:
            return False
        if not audience_matches(audience, jwt_claims, claims) or not permitted(claims):
            return False
        if cache_ttl_s > 0:
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            cache[digest] = now() + cache_ttl_s
        return True

    return verify
