"""`python -m bench --full [--only PART ...]`: the full run's parts, one results file.

Each part runs on its own fresh stack, so any subset runs alone; `--merge` joins the files
of parts run one by one into one `<date>-full.json`."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import parts
from bench.machine import git_dirty, git_sha, load_average, machine
from bench.plot import plot_capacity

# Order of `--full`: the short parts first, the capacity ramp last with what is left of the
# budget (it stops at the step the budget cannot fit, and says so).
PARTS = ("rss", "recovery", "repeats", "one_x", "capacity")
BUDGET_S = 88 * 60.0
PART_KEY = {
    "rss": "rss_mb_per_1000_open",
    "recovery": "recovery_s",
    "repeats": "repeats",
    "one_x": "one_x",
    "capacity": "capacity",
}

DEFINITIONS: dict[str, str] = {
    "rss_mb_per_1000_open": (
        "Least-squares slope of the chargepay worker processes' summed RSS over the count of "
        "open sessions, sampled every 2 s while sessions start on a fresh stack (none stops "
        "during the ramp), times 1000; once with the workflow sandbox on (the production "
        "default) and once off. The SDK's workflow cache (1000 per worker process, 2 "
        "processes) is at least the ramp's open count: no eviction. API and Temporal server "
        "RSS at the fresh start and at the end are beside it."
    ),
    "capacity": (
        "Steps of concurrently open sessions, each on a fresh stack: sessions start at the "
        "machine's pace over as many operators as the quota needs; each hold buys a charge "
        "that crosses its budget after the last start plus a hold time, spread over a stop "
        "window as long as the starts. Open = the count of running session workflows "
        "(Temporal visibility), sampled every 2 s. A step holds when its peak open count "
        "reached the step, no start failed, every session ended by chargepay's stop at "
        "budget before Monta's hard cap, nothing uncollected, no 429, and stop p99 <= 2 s. "
        "The time scale falls as the step grows so that meter readings arrive at the same "
        "rate (readings_per_s) at every step. Workflow-task schedule-to-start p99 is read "
        "from the Temporal server's own histogram over the step. CPU is by process role "
        "over the step; other_cores is the rest of the machine. max_open_held is the "
        "highest step that held, first_limit what failed first (or the run's time budget)."
    ),
    "recovery_s": (
        "500 sessions open; during the stop window one chargepay worker process (in a "
        "second run, one API replica) is SIGKILLed and not restarted. recovery_s runs from "
        "the kill until every session open at the kill has completed a workflow task at or "
        "after the first signal the server recorded after the kill (Temporal history "
        "times). control_no_kill is the same computation at an instant of the same run "
        "with no kill: the wait for the next reading alone. Stops later than 2 s and "
        "overshoot are over all the run's sessions."
    ),
    "one_x": (
        "Real time, Monta's 60 s meter interval, a 2 s webhook cadence and the real quota "
        "of 1000 requests per 600 s on one credential; AC charges of about six minutes. "
        "A calibration at a low start rate "
        "measures a session's own calls (start, stop, settle and any per-charge read) and "
        "the shared calls per second (watcher and tariff reads); the sustainable rate is "
        "the highest new-session rate per credential with r x own + shared <= 90 % of the "
        "quota. A check then runs at that rate and counts 429s, the most calls in any 600 "
        "s window, the share spent on start-charge, stop-charge and patch-charge (settle) "
        "and the stop latency under the real cadence."
    ),
    "repeats": (
        "The quick run's open phase (100 open, AC+DC, 30x, with its stop-latency floor and "
        "ingest legs) n times on one stack, a fresh terminal each time: median, min and max "
        "of each p99 and ratio; each run's load average at its start and end."
    ),
}

Runner = Callable[[float], Awaitable[dict[str, Any]]]


def runners() -> dict[str, Runner]:
    return {
        "rss": lambda _: parts.part_rss(),
        "capacity": parts.part_capacity,
        "recovery": lambda _: parts.part_recovery(),
        "one_x": lambda _: parts.part_one_x(),
        "repeats": lambda _: parts.part_repeats(),
    }


async def run_full(only: Sequence[str], out_dir: Path, budget_s: float = BUDGET_S) -> Path:
    chosen = [p for p in PARTS if not only or p in only]
    started = time.monotonic()
    doc: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "full",
        "parts": chosen,
        "machine": {**machine(), "loadavg_at_start": load_average()},
        "git_sha": git_sha(),
        "git_dirty": git_dirty(),
        "definitions": {},
        "part_wall_s": {},
        "part_loadavg": {},
    }
    table = runners()
    # SIGTERM (a CI timeout, `kill`) cancels the run like Ctrl-C: each part's stack is
    # stopped instead of outliving the bench.
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    for name in chosen:
        t = time.monotonic()
        left = budget_s - (t - started)
        parts.say(f"part {name} ({left:.0f} s of the budget left)")
        load0 = load_average()
        figures = await table[name](left)
        doc.update(figures)
        for key in figures:
            doc["definitions"][key] = DEFINITIONS[key]
        doc["part_wall_s"][name] = round(time.monotonic() - t, 1)
        doc["part_loadavg"][name] = {"start": load0, "end": load_average()}
        write(doc, out_dir, chosen)  # after each part: a crash keeps what finished
    doc["wall_seconds"] = round(time.monotonic() - started, 1)
    path = write(doc, out_dir, chosen)
    plot_capacity(doc, path.with_suffix(".png"))
    return path


def stamp(doc: Mapping[str, Any]) -> str:
    return datetime.fromisoformat(str(doc["date"])).strftime("%Y%m%dT%H%M%S")


def write(doc: Mapping[str, Any], out_dir: Path, chosen: Sequence[str]) -> Path:
    suffix = "full" if set(chosen) == set(PARTS) else "full-" + "-".join(chosen)
    path = out_dir / f"{stamp(doc)}-{suffix}.json"
    out_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    return path


def merge(docs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Part files joined into one full document (the first one's header); each part's
    commit is kept under part_git_sha."""
    out: dict[str, Any] = {**docs[0], "parts": [], "definitions": {}, "part_wall_s": {},
                           "part_loadavg": {}, "part_git_sha": {}}  # fmt: skip
    shas = sorted({str(d.get("git_sha")) for d in docs})
    out["git_sha"] = shas[0] if len(shas) == 1 else shas  # each part's: part_git_sha
    out["git_dirty"] = any(d.get("git_dirty") for d in docs)
    out["merged_from"] = [stamp(d) for d in docs]
    for d in docs:
        # A part counts where its figures are in the file (a run stopped early lists the
        # parts it was asked for); a later file's part replaces an earlier one's.
        for name in (n for n in d["parts"] if PART_KEY[n] in d):
            if name not in out["parts"]:
                out["parts"].append(name)
            out["part_git_sha"][name] = d.get("git_sha")
        for k in ("definitions", "part_wall_s", "part_loadavg"):
            out[k].update({n: v for n, v in d.get(k, {}).items() if n in out["parts"] or
                           n in PART_KEY.values()})  # fmt: skip
        for key in DEFINITIONS:
            if key in d:
                out[key] = d[key]
    out["wall_seconds"] = round(sum(out["part_wall_s"].values()), 1)
    return out
