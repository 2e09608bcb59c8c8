"""How the figures grow with load: bench/results/latest.png (needs matplotlib)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

PANELS = (
    ("stop latency p99 (ms)", ("stop_latency_ms", "p99"), ("stop_latency_floor_ms", "p99")),
    ("overshoot max (kWh)", ("overshoot_kwh", "max"), None),
    ("Monta calls / session", ("monta_calls_per_session", "mean"), None),
    ("history events / session", ("history_events_per_session", "mean"), None),
)


def _dig(d: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    cur: Any = d
    for key in path:
        cur = cur.get(key) if isinstance(cur, Mapping) else None
    return cur


def _pyplot() -> Any:
    """matplotlib's pyplot drawing to files, or None (said once) where it is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("[bench] matplotlib missing: no plot", flush=True)
        return None
    return plt


def plot(doc: Mapping[str, Any], out_dir: Path) -> list[Path]:
    plt = _pyplot()
    if plt is None:
        return []
    fig, axes = plt.subplots(2, 2, figsize=(11, 7))
    kinds = sorted({"+".join(sorted(p["mix"])) for p in doc["phases"]})
    for ax, (title, path, floor) in zip(axes.flat, PANELS, strict=True):
        for kind in kinds:
            rows = [p for p in doc["phases"] if "+".join(sorted(p["mix"])) == kind]
            xs = [p["sessions"] for p in rows]
            ax.plot(xs, [_dig(p, path) for p in rows], marker="o", label=kind.upper())
            if floor is not None:
                ys = [_dig(p, floor) for p in rows]
                ax.plot(xs, ys, linestyle="--", marker="x", label=f"{kind.upper()} floor")
        ax.set_title(title)
        ax.set_xscale("log")
        ax.set_xlabel("open sessions")
        ax.legend(fontsize=8)
    fig.suptitle(f"chargepay {doc['mode']} {doc['date']} ({doc['time_scale']}x)")
    fig.tight_layout()
    png = out_dir / "latest.png"
    fig.savefig(png, dpi=100)
    plt.close(fig)
    return [png]


CAPACITY_PANELS = (
    ("stop latency p99 (ms)", lambda s: _dig(s, ("stop_latency_ms", "p99"))),
    ("workflow-task schedule-to-start p99 (ms)",
     lambda s: s.get("workflow_task_schedule_to_start_p99_ms")),
    ("worker RSS at peak (MB, 2 processes)", lambda s: _dig(s, ("at_peak", "worker_rss_mb"))),
    ("cores busy over the step", None),
)  # fmt: skip


def plot_capacity(doc: Mapping[str, Any], png: Path) -> list[Path]:
    """The capacity ramp: one point per step, hollow where the step did not hold."""
    steps = (doc.get("capacity") or {}).get("steps") or []
    if not steps:
        return []
    plt = _pyplot()
    if plt is None:
        return []
    fig, axes = plt.subplots(2, 2, figsize=(11, 7))
    xs = [s["open_target"] for s in steps]
    for ax, (title, get) in zip(axes.flat, CAPACITY_PANELS, strict=True):
        if get is None:
            roles = sorted({r for s in steps for r in (s["cpu"].get("cores_by_role") or {})})
            for role in [*roles, "other_cores"]:
                ys = [
                    s["cpu"].get(role) if role == "other_cores"
                    else (s["cpu"].get("cores_by_role") or {}).get(role)
                    for s in steps
                ]  # fmt: skip
                ax.plot(xs, ys, marker="o", label=role)
            ax.legend(fontsize=7)
        else:
            ys = [get(s) for s in steps]
            ax.plot(xs, ys, color="tab:blue")
            for x, y, s in zip(xs, ys, steps, strict=True):
                face = "tab:blue" if s["held"] else "white"
                ax.plot([x], [y], marker="o", markerfacecolor=face, color="tab:blue")
        ax.set_title(title, fontsize=10)
        ax.set_xscale("log")
        ax.set_xlabel("open sessions (step)")
    held = (doc.get("capacity") or {}).get("max_open_held")
    fig.suptitle(f"chargepay capacity ramp {doc.get('date')}: max open held {held}")
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=100)
    plt.close(fig)
    return [png]


def main() -> None:
    import argparse
    import json

    p = argparse.ArgumentParser(prog="python -m bench.plot", description="the capacity plot")
    p.add_argument("results", type=Path)
    p.add_argument("png", type=Path)
    args = p.parse_args()
    print(plot_capacity(json.loads(args.results.read_text()), args.png))


if __name__ == "__main__":
    main()
