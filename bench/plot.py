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


def plot(doc: Mapping[str, Any], out_dir: Path) -> list[Path]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("[bench] matplotlib missing: no plot", flush=True)
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
