"""How many Monta activities per second one operator's queue may start (workflows/WATCHER.md).

    queue rate = (rate_limit x (1 - headroom) - stop reserve) / rate window (wall seconds)

The server enforces it for the whole `monta-<operator>` queue, whatever the number of
workers (every worker sets the same value). Stops do not wait in that queue (they are local
activities on the session worker); the stop reserve is the share of the window left to them.
"""

from __future__ import annotations

from core.operators import Operator
from settings import Settings


class RateBudgetError(ValueError):
    """Headroom and stop reserve leave nothing for the queue."""


def queue_share(operator: Operator, settings: Settings) -> float:
    """Requests per window the rate-limited queue may spend."""
    share = operator.rate_limit * (1 - settings.monta_rate_headroom) - settings.monta_stop_reserve
    if share <= 0:
        raise RateBudgetError(
            f"operator {operator.key}: rate limit {operator.rate_limit} minus "
            f"{settings.monta_rate_headroom:.0%} headroom and {settings.monta_stop_reserve} "
            "reserved stops leaves nothing for the Monta queue"
        )
    return share


def monta_queue_rate(operator: Operator, settings: Settings) -> float:
    """`max_task_queue_activities_per_second` for `operator.monta_task_queue`."""
    window_wall = settings.clock.wall_seconds(operator.rate_limit_window_s)
    return queue_share(operator, settings) / window_wall
