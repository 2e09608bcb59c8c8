"""The real stack with operator idle-fee rules added to the committed operators file, for
the idle-fee stack tests (docs/idle-fees.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.api.stack import RunningStack, running_stack
from tests.support.processes import REPO

SCALE = 60.0  # one wall second is one real minute


@contextmanager
def idle_fee_stack(log_dir: Path, work_dir: Path, rules: str, **env: str) -> Iterator[RunningStack]:
    """`rules`: TOML tables `[operators.<op>.idle_fees."<point>"]`; `env`: more settings."""
    operators = work_dir / "operators.toml"
    operators.write_text((REPO / "config/operators.toml").read_text() + rules)
    settings = {
        "CHARGEPAY_OPERATORS_FILE": str(operators),
        # The session must not stop a full car before it leaves: the car decides here.
        "CHARGEPAY_PAUSED_TIMEOUT_S": "14400",
        **env,
    }
    with running_stack(log_dir, time_scale=SCALE, env=settings) as stack:
        yield stack
