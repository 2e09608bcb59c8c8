"""build_data_converter: plain pydantic without keys, encrypting with keys."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from temporalio.contrib.pydantic import PydanticPayloadConverter, pydantic_data_converter

from codec.aes_gcm import AesGcmCodec
from codec.converter import build_data_converter
from tests.codec.keyring_factory import keyring_spec


def test_without_keys_it_is_the_plain_pydantic_converter() -> None:
    assert build_data_converter(SimpleNamespace(codec_keys="")) is pydantic_data_converter


def test_with_keys_it_is_pydantic_plus_the_codec() -> None:
    converter = build_data_converter(SimpleNamespace(codec_keys=keyring_spec("k1")))
    assert converter.payload_converter_class is PydanticPayloadConverter
    assert isinstance(converter.payload_codec, AesGcmCodec)


def test_settings_without_the_attribute_fall_back_to_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CHARGEPAY_CODEC_KEYS", keyring_spec("envkey"))
    converter = build_data_converter(object())
    assert isinstance(converter.payload_codec, AesGcmCodec)
    assert converter.payload_codec.active_key_id == "envkey"
