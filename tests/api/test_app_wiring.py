"""create_app mounts the codec server for the Temporal UI only when codec keys are set."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.main import create_app
from settings import Settings
from tests.codec.keyring_factory import keyring_spec


def _paths(tmp_path: Path) -> set[str]:
    app = create_app(Settings(terminal_keys_file=tmp_path / "k.json"))
    return set(app.openapi()["paths"])


def test_codec_router_only_with_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dev_secrets: None
) -> None:
    monkeypatch.setenv("CHARGEPAY_CODEC_KEYS", "")
    assert not any(p.startswith("/codec") for p in _paths(tmp_path))
    monkeypatch.setenv("CHARGEPAY_CODEC_KEYS", keyring_spec("k1"))
    assert "/codec/decode" in _paths(tmp_path)
    assert "/v1/sessions" in _paths(tmp_path)
