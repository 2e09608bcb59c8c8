"""One call for the API: the codec router configured from the environment, if keys are set."""

from __future__ import annotations

import httpx
from fastapi import APIRouter

from codec.auth import TokenVerifier, any_of, split_list, static_token_verifier
from codec.converter import CodecSettings, build_codec
from codec.oidc import OidcConfigError, normalize_email, userinfo_verifier
from codec.server import build_codec_router


def check_oidc_settings(settings: CodecSettings) -> None:
    """Refuse (`OidcConfigError`, naming the setting) an OIDC check that would be permissive."""
    if not settings.codec_oidc_userinfo_url:
        return
    try:
        url = httpx.URL(settings.codec_oidc_userinfo_url)
    except httpx.InvalidURL:
        url = httpx.URL()
    if url.scheme not in ("http", "https") or not url.host:
        raise OidcConfigError("CHARGEPAY_CODEC_OIDC_USERINFO_URL is not an http(s) URL")
    if not settings.codec_oidc_audience.strip():
        raise OidcConfigError(
            "CHARGEPAY_CODEC_OIDC_AUDIENCE is empty: with CHARGEPAY_CODEC_OIDC_USERINFO_URL set, "
            "the codec server needs the audience the UI's access tokens are issued for"
        )
    emails = split_list(settings.codec_oidc_allowed_emails)
    groups = split_list(settings.codec_oidc_allowed_groups)
    if not emails and not groups:
        raise OidcConfigError(
            "CHARGEPAY_CODEC_OIDC_ALLOWED_EMAILS and CHARGEPAY_CODEC_OIDC_ALLOWED_GROUPS are both "
            "empty: with CHARGEPAY_CODEC_OIDC_USERINFO_URL set, the codec server would let every "
            "user of the identity provider decrypt histories; set one of them"
        )
    for email in emails:
        if normalize_email(email) is None:
            raise OidcConfigError(f"CHARGEPAY_CODEC_OIDC_ALLOWED_EMAILS: not an email: {email!r}")
    if groups and not settings.codec_oidc_groups_claim.strip():
        raise OidcConfigError(
            "CHARGEPAY_CODEC_OIDC_GROUPS_CLAIM is empty but CHARGEPAY_CODEC_OIDC_ALLOWED_GROUPS "
            "is set"
        )


def verifier_from_settings(settings: CodecSettings) -> TokenVerifier | None:
    """The operator check; raises `OidcConfigError` for a permissive OIDC configuration."""
    verifiers: list[TokenVerifier] = []
    tokens = split_list(settings.codec_auth_token)
    if tokens:
        verifiers.append(static_token_verifier(tokens))
    if settings.codec_oidc_userinfo_url:
        check_oidc_settings(settings)
        verifiers.append(
            userinfo_verifier(
                settings.codec_oidc_userinfo_url,
                audience=settings.codec_oidc_audience,
                allowed_emails=split_list(settings.codec_oidc_allowed_emails),
                allowed_groups=split_list(settings.codec_oidc_allowed_groups),
                groups_claim=settings.codec_oidc_groups_claim,
                cache_ttl_s=settings.codec_oidc_cache_s,
            )
        )
    return any_of(verifiers) if verifiers else None


def codec_router_from_env(settings: CodecSettings | None = None) -> APIRouter | None:
    """The `/codec` router, or None when CHARGEPAY_CODEC_KEYS is empty (nothing to decode).

    Raises `OidcConfigError` when CHARGEPAY_CODEC_OIDC_USERINFO_URL is set without an audience
    or without allowed emails/groups: `create_app` calls this while building the app, so the
    API does not start rather than serve /codec with a permissive check.
    """
    settings = settings or CodecSettings()
    codec = build_codec(settings)
    if codec is None:
        return None
    return build_codec_router(
        codec,
        verifier=verifier_from_settings(settings),
        cors_origins=split_list(settings.codec_cors_origins),
    )
