"""An append-only JSONL log of everything the fault driver and terminals did, timestamped.

Each line: `{"t": <s since the run began>, "at": <ISO wall instant>, "kind": ..., ...}`.
The counts per kind go into chaos.json's `faults`.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class EventLog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.t0 = time.monotonic()
        self.counts: Counter[str] = Counter()
        self._file = path.open("w", encoding="utf-8")

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def write(self, kind: str, **fields: Any) -> None:
        self.counts[kind] += 1
        line = {
            "t": round(self.elapsed(), 3),
            "at": datetime.now(UTC).isoformat(),
            "kind": kind,
            **fields,
        }
        self._file.write(json.dumps(line, default=str) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()
