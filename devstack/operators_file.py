"""An operators file like config/operators.toml with some settings changed per operator:
how the dev stack, the chaos run and the stack tests turn increments on for one operator
without touching the committed file that every other test reads."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from devstack.envfile import REPO

OPERATORS_FILE = REPO / "config" / "operators.toml"


Value = int | str | float | bool | list[int]


def _toml_value(value: Value) -> str:
    if isinstance(value, list):
        return json.dumps(value)  # a TOML array of integers is a JSON one
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value)  # a TOML basic string is a JSON string for these values


def write_operators_file(
    dest: Path,
    overrides: Mapping[str, Mapping[str, Value]],
    source: Path = OPERATORS_FILE,
) -> Path:
    """Copy `source` to `dest`, adding each operator's `overrides` to its table (a key the
    table already has must not be overridden: TOML forbids a key twice)."""
    lines = source.read_text().splitlines()
    out: list[str] = []
    for line in lines:
        out.append(line)
        header = line.strip()
        if header.startswith("[operators.") and header.endswith("]"):
            key = header[len("[operators.") : -1]
            out.extend(f"{k} = {_toml_value(v)}" for k, v in overrides.get(key, {}).items())
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text("\n".join(out) + "\n")
    return dest
