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


def test_idle_fees_are_per_charge_point_with_a_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_ALPHA_SECRET", "s")
    rules = {"101": {"per_minute_minor": 20, "release_detection": True}, "*": {"grace_minutes": 5}}
    op = parse_operators(_file(idle_fees=rules))["alpha"]
    rule = op.idle_fee_rule(101)
    assert rule is not None and rule.per_minute_minor == 20 and rule.release_detection
    other = op.idle_fee_rule(102)
    assert other is not None and other.per_minute_minor == 0 and other.grace_minutes == 5
    assert parse_operators(_file())["alpha"].idle_fee_rule(101) is None
    with pytest.raises(OperatorConfigError, match="idle_fees"):
        parse_operators(_file(idle_fees={"cp-1": {"per_minute_minor": 1}}))
    with pytest.raises(OperatorConfigError, match="per_minute_minor"):
        parse_operators(_file(idle_fees={"101": {"per_minute_minor": -1}}))
