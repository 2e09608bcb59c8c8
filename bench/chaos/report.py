"""chaos.json: the figures, the parameters, the faults that fired, and what went wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.chaos.checks import MUST_BE_ZERO, Verdict
from bench.chaos.params import ChaosParams

RESULTS = Path(__file__).resolve().parents[1] / "results"


def build_report(
    params: ChaosParams,
    verdict: Verdict,
    faults: dict[str, Any],
    duration_s: float,
    extra: dict[str, Any],
) -> dict[str, Any]:
    f = verdict.figures
    return {
        "seed": params.seed,
        "mode": params.mode,
        "sessions": params.sessions,
        "faults": faults,
        "finished": f.get("finished", 0),
        **{name: f.get(name, 0) for name in MUST_BE_ZERO},
        "duration_s": round(duration_s, 1),
        "passed": verdict.passed,
        "params": params.describe(),
        "problems": verdict.problems,
        "flagged_lower_captures": verdict.flagged,
        "replay": f"python -m bench.chaos {'--quick ' if params.mode == 'quick' else ''}"
        f"--seed {params.seed} --sessions {params.sessions}",
        **extra,
    }


def write_report(report: dict[str, Any], stem: str, results: Path = RESULTS) -> list[Path]:
    """chaos.json (the latest run) and <stem>.json (kept per seed and mode)."""
    results.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=2, default=str) + "\n"
    paths = [results / "chaos.json", results / f"{stem}.json"]
    for path in paths:
        path.write_text(text)
    return paths


def summary(report: dict[str, Any]) -> str:
    lines = [
        f"chaos run seed={report['seed']} mode={report['mode']} sessions={report['sessions']}"
        f" finished={report['finished']} in {report['duration_s']} s"
        f" ({report.get('shape', 'one API, one worker')})",
        "  " + ", ".join(f"{name}={report[name]}" for name in MUST_BE_ZERO),
    ]
    if report["passed"]:
        lines.append("PASSED")
    else:
        lines.append(f"FAILED; replay with: {report['replay']}")
        for p in report["problems"][:40]:
            lines.append(f"  - {p['figure']}: {json.dumps(p, default=str)[:300]}")
    return "\n".join(lines)
