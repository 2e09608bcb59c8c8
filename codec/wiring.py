"""One call for the API: the codec router configured from the environment, if keys are set."""

from __future__ import annotations

from fastapi import APIRouter

from codec.auth import TokenVerifier, any_of, split_list, static_token_verifier
from codec.converter import CodecSettings, build_codec
from codec.oidc import userinfo_verifier
from codec.server import build_codec_router


def verifier_from_settings(settings: CodecSettings) -> TokenVerifier | None:
    verifiers: list[TokenVerifier] = []
    tokens = split_list(settings.codec_auth_token)
    if tokens:
        verifiers.append(static_token_verifier(tokens))
    if settings.codec_oidc_userinfo_url:
        verifiers.append(
            userinfo_verifier(
                settings.codec_oidc_userinfo_url,
                allowed_emails=split_list(settings.codec_oidc_allowed_emails),
            )
        )
    return any_of(verifiers) if verifiers else None


def codec_router_from_env(settings: CodecSettings | None = None) -> APIRouter | None:
    """The `/codec` router, or None when CHARGEPAY_CODEC_KEYS is empty (nothing to decode)."""
    settings = settings or CodecSettings()
    codec = build_codec(settings)
    if codec is None:
        return None
    return build_codec_router(
        codec,
        verifier=verifier_from_settings(settings),
        cors_origins=split_list(settings.codec_cors_origins),
    )
