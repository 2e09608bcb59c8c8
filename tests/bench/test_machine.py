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
    """The child burns 0.6 s of CPU between our two readings; it says when it is done, so
    the test waits for the burn itself, not for a sum that also holds our own CPU."""
    burn = (
        "import sys, time\n"
        "sys.stdin.readline()\n"
        "t = time.process_time()\n"
        "while time.process_time() - t < 0.6: pass\n"
        "print('done', flush=True)\n"
        "sys.stdin.readline()\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", burn], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        before = tree_cpu_s(os.getpid())
        child.stdin.write("go\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "done"
        # /proc counts in clock ticks (10 ms): allow one tick under the 0.6 s burned
        # (rounded to ticks, so float subtraction cannot fall a hair below it).
        assert round(tree_cpu_s(child.pid), 2) >= 0.59
        assert round(tree_cpu_s(os.getpid()) - before, 2) >= 0.59
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
        "driver": 3.0,
        "emulators": 3.0,
        "temporal": 30.0,
        "workers": 15.0,
    }
    assert cpu_ms_per_session(spent, 0) is None
