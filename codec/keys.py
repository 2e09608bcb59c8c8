"""The codec's keyring: `CHARGEPAY_CODEC_KEYS="kid1:base64key,kid0:base64key"`.

The first key encrypts; every key listed decrypts, so a key is rotated by putting the new one
first and keeping the old ones until every history written with them is past retention.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_AES_KEY_BYTES = (16, 24, 32)


class KeyringError(ValueError):
    """The keyring string is malformed; the message never contains key material."""


@dataclass(frozen=True)
class Keyring:
    active_id: str
    keys: dict[str, bytes]

    @property
    def active_key(self) -> bytes:
        return self.keys[self.active_id]


def parse_keyring(spec: str) -> Keyring | None:
    """Parse the env value; empty means "no encryption configured" (None)."""
    entries = [e.strip() for e in spec.split(",") if e.strip()]
    if not entries:
        return None
    keys: dict[str, bytes] = {}
    for position, entry in enumerate(entries):
        kid, sep, encoded = entry.partition(":")
        kid = kid.strip()
        if not sep or not _KEY_ID.match(kid):
            raise KeyringError(f"entry {position}: expected '<key-id>:<base64 key>'")
        if kid in keys:
            raise KeyringError(f"entry {position}: duplicate key id {kid!r}")
        keys[kid] = _decode_key(kid, encoded.strip())
    return Keyring(active_id=next(iter(keys)), keys=keys)


def _decode_key(kid: str, encoded: str) -> bytes:
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyringError(f"key {kid!r}: not valid base64") from exc
    if len(raw) not in _AES_KEY_BYTES:
        raise KeyringError(f"key {kid!r}: AES needs 16, 24 or 32 bytes, got {len(raw)}")
    return raw
