"""`make dev` prints a demo hold to start a session with. Reconciliation voids a hold that no
session claimed once its grace has passed, and the grace is real-world time: at the dev
stack's time scale the default 15 minutes are 30 s of wall time, and the demo hold was gone
before a newcomer had pasted the printed curl."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.__main__ import dev_config
from devstack.stack import Stack, StackPorts
from settings import Settings

READING_TIME_S = 30 * 60  # wall seconds a person may take before using the demo hold


def test_the_demo_hold_outlives_a_reader_of_the_banner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHARGEPAY_RECONCILE_HOLD_GRACE_S", raising=False)
    for name, value in Stack(dev_config(tmp_path, StackPorts(), 30.0)).chargepay_env().items():
        monkeypatch.setenv(name, value)
    settings = Settings()  # what the dev stack's worker reads
    assert settings.reconcile_hold_grace_s / settings.time_scale >= READING_TIME_S


def test_a_grace_set_by_hand_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARGEPAY_RECONCILE_HOLD_GRACE_S", "60")
    env = Stack(dev_config(tmp_path, StackPorts(), 30.0)).chargepay_env()
    assert env["CHARGEPAY_RECONCILE_HOLD_GRACE_S"] == "60"
