"""What the terminal-key and operator-key CLIs share: the `--file` option, `list` and
`revoke`, showing a new key exactly once, and exiting 2 with a message on bad input."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

Command = Callable[[Path, argparse.Namespace], None]


class CliError(Exception):
    pass


def key_parser(prog: str, doc: str, file_help: str) -> tuple[argparse.ArgumentParser, Any]:
    """A parser with `--file`, `list [--operator]` and `revoke <key id>`; add the rest to
    the returned subparsers."""
    p = argparse.ArgumentParser(prog=prog, description=doc.split("\n")[0])
    p.add_argument("--file", type=Path, help=file_help)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list").add_argument("--operator")
    sub.add_parser("revoke").add_argument("key_id")
    return p, sub


def print_new_key(key_id: str, key: str, as_json: bool, keep_it: str) -> None:
    if as_json:
        print(json.dumps({"key_id": key_id, "key": key}))
    else:
        print(f"key id: {key_id}\nkey (shown once, {keep_it}): {key}")


def print_rows(rows: list[dict[str, object]]) -> None:
    print(json.dumps(rows, indent=2))


def run_key_command(
    args: argparse.Namespace, default_file: Callable[[], Path], commands: Mapping[str, Command]
) -> int:
    path: Path = args.file if args.file is not None else default_file()
    try:
        commands[args.command](path, args)
    except (CliError, ValidationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
