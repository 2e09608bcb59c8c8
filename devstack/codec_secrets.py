"""The dev stack's payload-encryption secrets: a key and an operator token, made on the first
`make dev` and kept under .data/codec/ (owner-only), so a restart reads its own history."""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

KEY_ID = "dev"


@dataclass(frozen=True)
class CodecSecrets:
    keys: str  # CHARGEPAY_CODEC_KEYS: "<kid>:<base64 256-bit key>"
    token: str  # CHARGEPAY_CODEC_AUTH_TOKEN, for `temporal --codec-auth "Bearer <token>"`


def _kept(path: Path, make: str) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(make + "\n")
    return make


def dev_codec_secrets(data_dir: Path) -> CodecSecrets:
    folder = data_dir / "codec"
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    return CodecSecrets(
        keys=_kept(folder / "keys", f"{KEY_ID}:{key}"),
        token=_kept(folder / "token", secrets.token_urlsafe(24)),
    )
