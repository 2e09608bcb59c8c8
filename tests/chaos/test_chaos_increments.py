"""`CHAOS_INCREMENTS=on` runs the chaos stack with increments on for both operators."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.chaos import increments
from core.operators import load_operators


def test_off_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAOS_INCREMENTS", raising=False)
    assert increments.stack_env(tmp_path, 300.0) == {}


def test_on_gives_both_operators_a_ceiling_a_first_hold_and_a_lead_over_the_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHAOS_INCREMENTS", "on")
    for name in ("ALPHA", "BRAVO"):
        monkeypatch.setenv(f"CHARGEPAY_{name}_CLIENT_SECRET", "s")
        monkeypatch.setenv(f"CHARGEPAY_{name}_WEBHOOK_SECRETS", "s")
    env = increments.stack_env(tmp_path, 300.0)
    operators = load_operators(Path(env["CHARGEPAY_OPERATORS_FILE"]))
    for op in ("alpha", "bravo"):
        assert operators[op].increment_ceiling_minor == increments.CEILING_MINOR
        assert operators[op].first_hold_minor == increments.FIRST_HOLD_MINOR
    # The lead (charge time) covers the view's lag plus the timeout at the run's scale.
    timeout_s = float(env["CHARGEPAY_INCREMENT_TIMEOUT_S"])
    assert float(env["CHARGEPAY_INCREMENT_LEAD_S"]) >= 60.0 + timeout_s * 300.0


def test_the_acquirers_increments_are_counted() -> None:
    holds: list[dict[str, Any]] = [
        {"increments": [{"amount_minor": 500}, {"amount_minor": 500}]},
        {"increments": []},
        {},
    ]
    assert increments.applied(holds) == 2
