"""Per-process CPU accounting used by the throughput comparison (Linux /proc)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from bench.machine import cpu_by_process, cpu_spent, tree_cpu_s
from bench.throughput import cpu_ms_per_session

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="needs /proc")


def test_a_childs_cpu_counts_towards_its_parent_tree() -> None:
    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.6: pass\n"
    child = subprocess.Popen([sys.executable, "-c", burn + "time.sleep(30)"])
    try:
        before = tree_cpu_s(os.getpid())
        deadline = time.monotonic() + 20
        while tree_cpu_s(os.getpid()) - before < 0.4 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert tree_cpu_s(os.getpid()) - before >= 0.4
        assert tree_cpu_s(child.pid) >= 0.4
    finally:
        child.kill()
        child.wait()


def test_cpu_spent_is_the_difference_per_name() -> None:
    before = cpu_by_process({"me": os.getpid()})
    t = time.process_time()
    while time.process_time() - t < 0.3:
        pass
    spent = cpu_spent(before, cpu_by_process({"me": os.getpid()}))
    assert set(spent) == {"me"}
    assert spent["me"] >= 0.2
    assert cpu_spent({"gone": 1.0}, {}) == {}


def test_cpu_per_session_groups_processes_by_role() -> None:
    spent = {
        "temporal": 3.0,
        "worker": 1.0,
        "probe-worker-ab12": 0.5,
        "monta-emulator": 0.2,
        "acquirer-emulator": 0.1,
        "api": 0.4,
        "bench": 0.3,
    }
    assert cpu_ms_per_session(spent, 100) == {
        "api": 4.0,
        "bench": 3.0,
        "emulators": 3.0,
        "temporal": 30.0,
        "workers": 15.0,
    }
    assert cpu_ms_per_session(spent, 0) is None
