"""A session that captured before Monta's `completed` (at the idle watch's end, or at the
settle deadline) watches for Monta's final price: until when, and when it reads the charge.

`completed` normally comes by webhook (or the watcher); the reads only catch one that was
lost on its way. They start at the stop retry interval and double up to
`FINAL_PRICE_READ_MAX_S`, so a car left plugged in for hours after the capture costs a few
reads of Monta's quota, not one a minute. Pure: the workflow passes its own clock.
"""

from __future__ import annotations

from datetime import datetime

from core.clock import Clock
from workflows.contracts import SessionConfig
from workflows.session_data import SessionData

FINAL_PRICE_READ_MAX_S = 3600.0  # real seconds between reads, at most
_DOUBLINGS_MAX = 16  # bounds the power; the cap above is reached long before


def final_price_watch_until(data: SessionData, config: SessionConfig, now: datetime) -> datetime:
    """The watch's end, fixed when it starts (a continued session keeps it)."""
    if data.final_price_watch_until is None:
        wall = Clock(config.time_scale).wall(config.completed_watch_limit_s)
        data.final_price_watch_until = now + wall
    return data.final_price_watch_until


def read_interval_s(config: SessionConfig, reads_so_far: int) -> float:
    """Real seconds until the next read: the stop retry interval, doubling with each read."""
    first = config.stop_retry_interval_s
    doubled = first * 2 ** min(reads_so_far, _DOUBLINGS_MAX)
    return min(doubled, max(first, FINAL_PRICE_READ_MAX_S))


def next_read_at(data: SessionData, config: SessionConfig, now: datetime) -> datetime:
    """When the session next reads its charge, within the watch."""
    wait = Clock(config.time_scale).wall(read_interval_s(config, data.final_price_reads))
    return min(final_price_watch_until(data, config, now), now + wait)
