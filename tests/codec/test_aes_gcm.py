"""AES-GCM codec: round trip, rotation, tampering, and no plaintext in what Temporal stores."""

from __future__ import annotations

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter

from codec.aes_gcm import ENCODING, KEY_ID_HEADER, AesGcmCodec, PayloadDecryptionError
from codec.keys import Keyring, KeyringError, parse_keyring
from tests.codec.keyring_factory import keyring_spec, new_key_entry

CARD = {"card_last4": "4242", "authorization_ref": "authref-7f3c9d2e-secret"}


def _codec(spec: str) -> AesGcmCodec:
    keyring = parse_keyring(spec)
    assert keyring is not None
    return AesGcmCodec(keyring)


def _plain() -> Payload:
    return pydantic_data_converter.payload_converter.to_payloads([CARD])[0]


async def test_round_trip_restores_the_exact_payload() -> None:
    codec = _codec(keyring_spec("k1"))
    plain = _plain()
    [sealed] = await codec.encode([plain])
    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata[KEY_ID_HEADER] == b"k1"
    [opened] = await codec.decode([sealed])
    assert opened == plain


async def test_ciphertext_holds_no_card_or_authorization_bytes() -> None:
    codec = _codec(keyring_spec("k1"))
    plain = _plain()
    assert b"4242" in plain.data and b"authref-7f3c9d2e-secret" in plain.data
    [sealed] = await codec.encode([plain])
    raw = sealed.SerializeToString()
    for secret in (b"4242", b"authref-7f3c9d2e-secret", b"card_last4", b"json/plain"):
        assert secret not in raw


async def test_each_payload_gets_a_fresh_nonce() -> None:
    codec = _codec(keyring_spec("k1"))
    first, second = await codec.encode([_plain(), _plain()])
    assert first.data[:12] != second.data[:12]
    assert first.data != second.data


async def test_rotation_old_payloads_still_open_after_a_new_active_key() -> None:
    old_entry = new_key_entry("k0")
    [sealed_old] = await _codec(old_entry).encode([_plain()])
    rotated = _codec(f"{new_key_entry('k1')},{old_entry}")
    assert rotated.active_key_id == "k1"
    [opened] = await rotated.decode([sealed_old])
    assert opened == _plain()
    [sealed_new] = await rotated.encode([_plain()])
    assert sealed_new.metadata[KEY_ID_HEADER] == b"k1"


async def test_a_retired_key_is_refused() -> None:
    [sealed] = await _codec(keyring_spec("k0")).encode([_plain()])
    with pytest.raises(PayloadDecryptionError, match="unknown encryption key id"):
        await _codec(keyring_spec("k1")).decode([sealed])


async def test_tampered_ciphertext_fails_authentication() -> None:
    codec = _codec(keyring_spec("k1"))
    [sealed] = await codec.encode([_plain()])
    flipped = bytearray(sealed.data)
    flipped[-1] ^= 0x01
    tampered = Payload(metadata=dict(sealed.metadata), data=bytes(flipped))
    with pytest.raises(PayloadDecryptionError, match="failed authentication"):
        await codec.decode([tampered])


async def test_relabelling_the_key_id_fails_even_with_the_same_key_bytes() -> None:
    # Same key under two ids: the key id is bound as associated data, so relabelling breaks it.
    entry = new_key_entry("k1")
    key = entry.split(":", 1)[1]
    codec = _codec(f"{entry},k2:{key}")
    [sealed] = await codec.encode([_plain()])
    relabelled = Payload(metadata={**sealed.metadata, KEY_ID_HEADER: b"k2"}, data=sealed.data)
    with pytest.raises(PayloadDecryptionError):
        await codec.decode([relabelled])


async def test_unencrypted_payloads_pass_through_decode() -> None:
    codec = _codec(keyring_spec("k1"))
    [opened] = await codec.decode([_plain()])
    assert opened == _plain()


def test_empty_keyring_means_no_encryption() -> None:
    assert parse_keyring("") is None
    assert parse_keyring(" , ") is None


def test_keyring_order_picks_the_active_key() -> None:
    keyring = parse_keyring(keyring_spec("new", "old"))
    assert isinstance(keyring, Keyring)
    assert keyring.active_id == "new"
    assert set(keyring.keys) == {"new", "old"}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nokey", "expected"),
        ("k1:not*base64", "not valid base64"),
        ("k1:c2hvcnQ=", "16, 24 or 32 bytes"),
        ("bad id:" + "A" * 44, "expected"),
    ],
)
def test_malformed_keyrings_are_refused(spec: str, message: str) -> None:
    with pytest.raises(KeyringError, match=message):
        parse_keyring(spec)


def test_duplicate_key_ids_are_refused() -> None:
    with pytest.raises(KeyringError, match="duplicate"):
        parse_keyring(f"{new_key_entry('k1')},{new_key_entry('k1')}")
