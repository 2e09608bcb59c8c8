"""Rate-window arithmetic over the Monta emulator's request log (its ground truth)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core.operators import Operator
from tests.support.processes import REPO


def requests_of(truth: Mapping[str, Any], client_id: str) -> list[dict[str, Any]]:
    return [r for r in truth["requests"] if r["client_id"] == client_id]


def per_window(requests: list[dict[str, Any]], window_wall: float) -> dict[int, int]:
    """Requests per fixed window, windows aligned as the emulator aligns them."""
    return dict(Counter(math.floor(r["t"] / window_wall) for r in requests))


def full_windows(requests: list[dict[str, Any]], window_wall: float) -> list[int]:
    """Windows that lie wholly between the first and the last request."""
    if not requests:
        return []
    first, last = min(r["t"] for r in requests), max(r["t"] for r in requests)
    return [
        k
        for k in range(math.floor(first / window_wall), math.floor(last / window_wall) + 1)
        if k * window_wall >= first and (k + 1) * window_wall <= last
    ]


@contextmanager
def monta_worker_processes(
    n: int, target: str, op: Operator, env: Mapping[str, str], log_dir: Path
) -> Iterator[list[subprocess.Popen[str]]]:
    """n separate worker processes polling `op`'s Monta queue; yields once all poll."""
    op_json = op.model_dump_json(exclude={"monta_client_secret", "webhook_secrets"})
    secret = {"MONTA_WORKER_SECRET": op.monta_client_secret.get_secret_value()}
    procs = []
    try:
        for i in range(n):
            log = (log_dir / f"monta-worker-{op.key}-{i}.log").open("w")
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "tests.ratelimit.monta_worker", target, op_json],
                    cwd=REPO,
                    env={**os.environ, **env, **secret},
                    stdout=subprocess.PIPE,
                    stderr=log,
                    text=True,
                )
            )
        for p in procs:
            assert p.stdout is not None
            line = p.stdout.readline()
            if line.strip() != "ready":
                raise RuntimeError(f"monta worker did not start (see {log_dir})")
        yield procs
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
