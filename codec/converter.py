"""The data converter every chargepay client (worker, API) must use."""

from __future__ import annotations

import dataclasses

from pydantic_settings import BaseSettings, SettingsConfigDict
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

from codec.aes_gcm import AesGcmCodec
from codec.keys import parse_keyring


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
    # Comma-separated emails of the operations staff; empty accepts any user of the provider.
    codec_oidc_allowed_emails: str = ""


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
