"""The data converter every chargepay client (worker, API) must use."""

from __future__ import annotations

import dataclasses

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

from codec.aes_gcm import AesGcmCodec
from codec.keys import parse_keyring
from codec.oidc import DEFAULT_CACHE_TTL_S, MAX_CACHE_TTL_S


class CodecSettings(BaseSettings):
    """Codec knobs, read like settings.py (prefix CHARGEPAY_, `.env`)."""

    model_config = SettingsConfigDict(env_prefix="CHARGEPAY_", env_file=".env", extra="ignore")

    codec_keys: str = ""
    # Comma-separated operator bearer tokens accepted by the codec server (two during rotation).
    codec_auth_token: str = ""
    # Comma-separated browser origins of the Temporal UI allowed to call the codec server.
    codec_cors_origins: str = "http://localhost:8080"
    # The Temporal UI's OIDC provider: its access tokens are checked at this userinfo URL.
    codec_oidc_userinfo_url: str = ""
    # Who among the provider's users may decrypt: comma-separated verified emails (domain
    # case-insensitive, local part exact) and/or groups found in the `groups_claim` claim (a
    # list or a string, matched exactly). With the userinfo URL set, at least one of the two
    # and the audience are required: the codec router refuses to start otherwise.
    codec_oidc_allowed_emails: str = ""
    codec_oidc_allowed_groups: str = ""
    codec_oidc_groups_claim: str = "groups"
    # The access token's audience (its `aud`; for opaque tokens, the userinfo answer's `aud`).
    codec_oidc_audience: str = ""
    # How long a positive userinfo answer is reused (by the token's digest), in seconds.
    codec_oidc_cache_s: float = Field(default=DEFAULT_CACHE_TTL_S, ge=0, le=MAX_CACHE_TTL_S)


def build_codec(settings_like: object | None = None) -> AesGcmCodec | None:
    """The codec for the configured keys, or None when no key is configured."""
    spec = getattr(settings_like, "codec_keys", None)
    if spec is None:
        spec = CodecSettings().codec_keys
    keyring = parse_keyring(str(spec))
    return AesGcmCodec(keyring) if keyring else None


def build_data_converter(settings_like: object | None = None) -> DataConverter:
    """pydantic_data_converter, with AES-GCM encryption when `codec_keys` is configured.

    `settings_like` is any object with a `codec_keys` attribute (e.g. chargepay's Settings);
    without one, CHARGEPAY_CODEC_KEYS is read from the environment / `.env`.
    """
    codec = build_codec(settings_like)
    if codec is None:
        return pydantic_data_converter
    return dataclasses.replace(pydantic_data_converter, payload_codec=codec)
