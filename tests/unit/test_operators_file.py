"""The operators file: the per-operator hold limit and its default."""

from __future__ import annotations

import pytest

from core.operators import DEFAULT_MAX_HOLD_MINOR, OperatorConfigError, parse_operators


def _file(**extra: object) -> dict[str, object]:
    entry = {
        "name": "Alpha",
        "monta_client_id": "alpha-client",
        "client_secret_env": "TEST_ALPHA_SECRET",
        "default_paying_team_id": 1,
        **extra,
    }
    return {"operators": {"alpha": entry}}


def test_the_hold_limit_is_per_operator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_ALPHA_SECRET", "s")
    assert parse_operators(_file())["alpha"].max_hold_minor == DEFAULT_MAX_HOLD_MINOR
    assert parse_operators(_file(max_hold_minor=150_00))["alpha"].max_hold_minor == 150_00
    with pytest.raises(OperatorConfigError, match="max_hold_minor"):
        parse_operators(_file(max_hold_minor=0))
