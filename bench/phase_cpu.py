"""Where the machine's CPU went over a phase's charging window: each of the run's
processes by role, and what the rest of the machine (other users of the shared cores)
took. A latency that rises with `other_cores` is the machine's, not the design's."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from bench.machine import busy_share, cpu_by_process, cpu_spent, cpu_times
from bench.throughput import role_of


@dataclass
class CpuWindow:
    pids: dict[str, int]
    t0: float
    machine0: tuple[float, float] | None
    by0: dict[str, float]

    @classmethod
    def open(cls, pids: dict[str, int]) -> CpuWindow:
        by0 = {**cpu_by_process(pids), "bench": time.process_time()}
        return cls(pids, time.monotonic(), cpu_times(), by0)

    def close(self) -> dict[str, Any]:
        """{seconds, machine_cores_busy, cores_by_role, other_cores}: cores = CPU seconds /
        wall seconds (2.0 = both cores of this machine all the time)."""
        by1 = {**cpu_by_process(self.pids), "bench": time.process_time()}
        seconds = time.monotonic() - self.t0
        share = busy_share(self.machine0, cpu_times())
        roles: dict[str, float] = {}
        for name, s in cpu_spent(self.by0, by1).items():
            role = "floor_probe" if name.startswith("probe-hookfloor") else role_of(name)
            roles[role] = roles.get(role, 0.0) + s
        cores = {r: round(s / seconds, 2) for r, s in sorted(roles.items())} if seconds else {}
        busy = None if share is None else round(share * (os.cpu_count() or 1), 2)
        return {
            "seconds": round(seconds, 1),
            "machine_cores_busy": busy,
            "cores_by_role": cores,
            "other_cores": None if busy is None else round(busy - sum(cores.values()), 2),
        }
