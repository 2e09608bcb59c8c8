"""Monta API calls per session and 429s, from the emulator's request log (pure)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from bench.stats import ratio

_CHARGE = re.compile(r"/charges/(\d+)")
_POINT = re.compile(r"/charge-points/(\d+)")
START_OPERATION = "start-charge"  # POST /charges: the session's own, though its path names none


def in_window(
    requests: Sequence[Mapping[str, Any]], client_id: str, t0: float, t1: float
) -> list[Mapping[str, Any]]:
    return [r for r in requests if r.get("client_id") == client_id and t0 <= float(r["t"]) <= t1]


def calls_per_session(
    requests: Sequence[Mapping[str, Any]],
    charge_to_session: Mapping[int, str],
    point_to_session: Mapping[int, str],
    sessions: int,
) -> dict[str, Any]:
    """{mean, max, total, own, unattributed, own_mean, shared_mean, by_operation} for the requests
    of one phase. `own_mean`: the calls one session makes itself (those naming its charge
    or charge point, and its start), `shared_mean`: the rest (watcher polls, tariff reads)
    spread over the phase's sessions; a fixed cost per interval, so it shrinks with load."""
    per: Counter[str] = Counter()
    unattributed = 0
    for r in requests:
        path = str(r.get("path", ""))
        m = _CHARGE.search(path)
        p = _POINT.search(path)
        owner = None
        if m is not None:
            owner = charge_to_session.get(int(m.group(1)))
        elif p is not None:
            owner = point_to_session.get(int(p.group(1)))
        if owner is None:
            unattributed += 1
        else:
            per[owner] += 1
    share = math.ceil(unattributed / sessions) if sessions else 0
    ops = Counter(str(r.get("operation") or r.get("path")) for r in requests)
    own = sum(per.values()) + ops[START_OPERATION]
    return {
        "mean": ratio(len(requests), sessions),
        "own_mean": ratio(own, sessions),
        "shared_mean": ratio(len(requests) - own, sessions),
        "max": (max(per.values(), default=0) + share) if sessions else None,
        "total": len(requests),
        "own": own,
        "unattributed": unattributed,
        "by_operation": dict(sorted(ops.items())),
    }


def count_429(requests: Sequence[Mapping[str, Any]]) -> int:
    return sum(1 for r in requests if int(r.get("status", 0)) == 429)
