"""Random keyrings for codec tests (no key material is checked in)."""

from __future__ import annotations

import base64
import os


def new_key_entry(kid: str, size: int = 32) -> str:
    return f"{kid}:{base64.b64encode(os.urandom(size)).decode()}"


def keyring_spec(*kids: str) -> str:
    return ",".join(new_key_entry(k) for k in kids)
