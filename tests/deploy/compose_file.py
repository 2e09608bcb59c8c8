"""Read docker-compose.yml the way compose would resolve its defaults, without a Docker engine."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_PATH = REPO / "docker-compose.yml"

_VAR = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


@cache
def compose() -> dict[str, Any]:
    doc = yaml.safe_load(COMPOSE_PATH.read_text())
    assert isinstance(doc, dict)
    return doc


def services() -> dict[str, dict[str, Any]]:
    found = compose()["services"]
    assert isinstance(found, dict)
    return found


def default_value(value: str) -> str:
    """`${VAR:-default}` → default; `${VAR:?msg}` → "<required:VAR>"; `$$` → `$`."""

    def sub(m: re.Match[str]) -> str:
        op = m.group("op") or ""
        if op.endswith("-"):
            return m.group("arg")
        if op.endswith("?"):
            return f"<required:{m.group('name')}>"
        return f"<unset:{m.group('name')}>"

    return _VAR.sub(sub, value).replace("$$", "$")


def env(service: str) -> dict[str, str]:
    raw = services()[service].get("environment", {})
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) for item in raw)
    return {str(k): str(v) for k, v in raw.items()}


def is_interpolated(value: str) -> bool:
    return bool(_VAR.fullmatch(value.strip()))
