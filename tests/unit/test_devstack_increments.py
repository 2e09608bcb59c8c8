"""`make dev` shows increments on one demo operator, bravo, and leaves alpha (the README's
walk-through) as committed."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.increment_lead import increment_lead_warning
from core.operators import load_operators
from devstack import increments_demo
from devstack.__main__ import dev_config
from devstack.stack import Stack, StackPorts
from settings import Settings


def test_the_dev_stack_runs_bravo_with_a_ceiling_and_a_first_hold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHARGEPAY_OPERATORS_FILE", raising=False)
    monkeypatch.setenv("CHARGEPAY_ALPHA_CLIENT_SECRET", "a")
    monkeypatch.setenv("CHARGEPAY_ALPHA_WEBHOOK_SECRETS", "a")
    monkeypatch.setenv("CHARGEPAY_BRAVO_CLIENT_SECRET", "b")
    monkeypatch.setenv("CHARGEPAY_BRAVO_WEBHOOK_SECRETS", "b")
    env = Stack(dev_config(tmp_path, StackPorts(), 30.0)).chargepay_env()
    operators = load_operators(Path(env["CHARGEPAY_OPERATORS_FILE"]))
    assert operators["bravo"].increment_ceiling_minor == 15000
    assert operators["bravo"].first_hold_minor == 2500
    assert operators["alpha"].increment_ceiling_minor == 0  # the walk-through's operator
    assert operators["alpha"].locale == "da_DK"  # the rest as committed
    for name, value in env.items():  # what the dev stack's API reads
        monkeypatch.setenv(name, value)
    assert increment_lead_warning(Settings(), operators) is None  # the lead suffices at 30x
    banner = increments_demo.banner("http://127.0.0.1:8000", "cpk_x")
    assert '"charge_point_id": 201' in banner and '"payment_token": "tok_visa"' in banner


def test_an_operators_file_set_by_hand_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHARGEPAY_OPERATORS_FILE", "/etc/mine.toml")
    env = Stack(dev_config(tmp_path, StackPorts(), 30.0)).chargepay_env()
    assert env["CHARGEPAY_OPERATORS_FILE"] == "/etc/mine.toml"
