"""Read `.env.example`-style files (KEY=VALUE, # comments) without touching os.environ."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ENV_EXAMPLE = REPO / ".env.example"


def read_env_file(path: Path = ENV_EXAMPLE) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.split(" #", 1)[0].strip().strip("'\"")
        values[key.strip()] = value
    return values
