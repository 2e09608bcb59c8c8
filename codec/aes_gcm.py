"""AES-GCM payload codec: what Temporal stores (inputs, results, signals, memos) is ciphertext.

Each payload is serialized whole (metadata + data) and sealed with a fresh 96-bit nonce under
the active key. The key id travels in clear metadata so any listed key can open it, and is
also bound as associated data so a payload cannot be relabelled to another key.
Search attributes are not payloads: they stay readable (brand and last 4 only, by design).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from codec.keys import Keyring

ENCODING = b"binary/encrypted"
KEY_ID_HEADER = "encryption-key-id"
_NONCE_BYTES = 12


class PayloadDecryptionError(ValueError):
    """A payload could not be opened: unknown key id, or tampered/corrupt ciphertext."""


class AesGcmCodec(PayloadCodec):
    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring
        self._ciphers = {kid: AESGCM(key) for kid, key in keyring.keys.items()}

    @property
    def active_key_id(self) -> str:
        return self._keyring.active_id

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        kid = self._keyring.active_id
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._ciphers[kid].encrypt(nonce, payload.SerializeToString(), kid.encode())
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID_HEADER: kid.encode()}, data=nonce + sealed
        )

    def decrypt(self, payload: Payload) -> Payload:
        # Payloads written before encryption was switched on stay readable.
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        kid = payload.metadata.get(KEY_ID_HEADER, b"").decode(errors="replace")
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise PayloadDecryptionError(f"unknown encryption key id {kid!r}")
        nonce, sealed = payload.data[:_NONCE_BYTES], payload.data[_NONCE_BYTES:]
        try:
            return Payload.FromString(cipher.decrypt(nonce, sealed, kid.encode()))
        except InvalidTag as exc:
            message = f"payload under key {kid!r} failed authentication"
            raise PayloadDecryptionError(message) from exc
