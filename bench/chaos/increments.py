"""`CHAOS_INCREMENTS=on`: the chaos run with incremental authorization on for both operators
(docs/increments.md), a small first hold for token starts and a ceiling, so increments are
asked under the same kills and faults as every other step.

The increment's timeout (45 s) outlasts a payment attempt's 30 s start-to-close, so the
attempt a killed worker lost is retried under the same key within it; at the run's 300x it
is almost four hours of charging, and the lead covers it (plus the view's 60 s), as
docs/increments.md asks. The first runs found increments the acquirer applied and the
session never heard of (docs/reliability.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from devstack.operators_file import write_operators_file

# At most what the smallest battery of the plan (60 kWh) takes: a hold grown past it leaves
# a full car paused with its session charging, and the plan's charges end on their budget.
CEILING_MINOR = 3000
FIRST_HOLD_MINOR = 500
TIMEOUT_S = 45.0


def enabled() -> bool:
    return os.environ.get("CHAOS_INCREMENTS", "off").lower() in ("on", "1", "true", "yes")


def stack_env(data_dir: Path, time_scale: float) -> dict[str, str]:
    """The chargepay settings of a run with increments on; {} when they are off."""
    if not enabled():
        return {}
    settings = {"increment_ceiling_minor": CEILING_MINOR, "first_hold_minor": FIRST_HOLD_MINOR}
    path = write_operators_file(
        data_dir / "operators-chaos.toml", {"alpha": settings, "bravo": settings}
    )
    lead_s = 60.0 + TIMEOUT_S * time_scale
    return {
        "CHARGEPAY_OPERATORS_FILE": str(path),
        "CHARGEPAY_INCREMENT_TIMEOUT_S": str(TIMEOUT_S),
        "CHARGEPAY_INCREMENT_LEAD_S": str(lead_s),
    }


def applied(holds: list[dict[str, Any]]) -> int:
    """Increments the acquirer applied over the run (its own record)."""
    return sum(len(h.get("increments") or []) for h in holds)
