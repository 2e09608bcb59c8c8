"""The bench's worker-process plumbing: process names and their summed RSS."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.machine import rss_mb, total_rss_mb
from devstack.stack import Stack, StackConfig


def test_worker_names_one_per_process(tmp_path: Path) -> None:
    assert Stack(StackConfig(data_dir=tmp_path)).worker_names == ["worker"]
    three = Stack(StackConfig(data_dir=tmp_path, worker_processes=3))
    assert three.worker_names == ["worker", "worker-2", "worker-3"]


def test_total_rss_sums_live_processes() -> None:
    own = rss_mb(os.getpid())
    assert own is not None and own > 0
    total = total_rss_mb([os.getpid(), os.getpid()])
    assert total is not None and total >= 2 * own * 0.9  # RSS moves a little between reads


def test_total_rss_is_unknown_when_a_process_is_gone() -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert total_rss_mb([os.getpid(), gone.pid]) is None
    assert total_rss_mb([]) is None
