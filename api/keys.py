"""Provision terminal API keys without a restart.

    python -m api.keys create --operator alpha --terminal T1 --charge-point 101 --charge-point 102
    python -m api.keys map    --operator alpha --terminal T1 --charge-point 101   # replace the list
    python -m api.keys list   [--operator alpha]
    python -m api.keys revoke <key id>

The key is printed once by `create` and never stored (only its SHA-256). The file is
`CHARGEPAY_TERMINAL_KEYS_FILE` (or `--file`); running APIs re-read it when it changes.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from api.key_cli import CliError, key_parser, print_new_key, print_rows, run_key_command
from api.keystore import (
    KeyFile,
    TerminalRecord,
    edit_key_file,
    issue_key,
    read_key_file,
    terminal_ref,
)
from workflows.contracts import SessionRequest


def _check_ids(operator: str, terminal_id: str) -> None:
    """Same patterns as SessionRequest: a key must name a terminal the API can serve."""
    props = SessionRequest.model_json_schema()["properties"]
    for name, value in (("operator", operator), ("terminal_id", terminal_id)):
        pattern = props[name]["pattern"]
        if not re.fullmatch(pattern, value):
            raise CliError(f"{name} {value!r} does not match {pattern}")


def _set_charge_points(data: KeyFile, operator: str, terminal_id: str, ids: list[int]) -> None:
    if any(i <= 0 for i in ids):
        raise CliError("charge point ids are positive integers")
    data.terminals[terminal_ref(operator, terminal_id)] = TerminalRecord(
        operator=operator, terminal_id=terminal_id, charge_point_ids=sorted(set(ids))
    )


def create_key(
    path: Path, operator: str, terminal_id: str, charge_point_ids: list[int], label: str = ""
) -> tuple[str, str]:
    """Issue a key (and set the terminal's charge points if given); returns (key id, key)."""
    _check_ids(operator, terminal_id)
    with edit_key_file(path) as data:
        key, record = issue_key(data, operator, terminal_id, label)
        if charge_point_ids:
            _set_charge_points(data, operator, terminal_id, charge_point_ids)
    return record.key_id, key


def map_terminal(path: Path, operator: str, terminal_id: str, charge_point_ids: list[int]) -> None:
    _check_ids(operator, terminal_id)
    with edit_key_file(path) as data:
        _set_charge_points(data, operator, terminal_id, charge_point_ids)


def revoke_key(path: Path, key_id: str) -> None:
    with edit_key_file(path) as data:
        record = data.keys.get(key_id)
        if record is None:
            raise CliError(f"no key {key_id!r}")
        if record.revoked_at is None:
            data.keys[key_id] = record.model_copy(update={"revoked_at": datetime.now(UTC)})


def list_keys(path: Path, operator: str | None = None) -> list[dict[str, object]]:
    data = read_key_file(path)
    rows: list[dict[str, object]] = []
    for record in data.keys.values():
        if operator and record.operator != operator:
            continue
        terminal = data.terminals.get(terminal_ref(record.operator, record.terminal_id))
        rows.append(
            {
                "key_id": record.key_id,
                "operator": record.operator,
                "terminal_id": record.terminal_id,
                "charge_point_ids": terminal.charge_point_ids if terminal else [],
                "label": record.label,
                "created_at": record.created_at.isoformat(),
                "revoked_at": record.revoked_at.isoformat() if record.revoked_at else None,
            }
        )
    return rows


def _parser() -> argparse.ArgumentParser:
    p, sub = key_parser(
        "python -m api.keys", __doc__ or "", "keys file (default: settings.terminal_keys_file)"
    )
    for name in ("create", "map"):
        c = sub.add_parser(name)
        c.add_argument("--operator", required=True)
        c.add_argument("--terminal", required=True)
        c.add_argument("--charge-point", type=int, action="append", default=[], dest="cps")
        if name == "create":
            c.add_argument("--label", default="")
            c.add_argument("--json", action="store_true", help="print {key_id, key} as JSON")
    return p


def _create(path: Path, args: argparse.Namespace) -> None:
    key_id, key = create_key(path, args.operator, args.terminal, args.cps, args.label)
    print_new_key(key_id, key, args.json, "store it on the terminal")


def main(argv: Sequence[str] | None = None) -> int:
    def default_file() -> Path:
        from settings import get_settings

        return get_settings().terminal_keys_file

    return run_key_command(
        _parser().parse_args(argv),
        default_file,
        {
            "create": _create,
            "map": lambda path, args: map_terminal(path, args.operator, args.terminal, args.cps),
            "list": lambda path, args: print_rows(list_keys(path, args.operator)),
            "revoke": lambda path, args: revoke_key(path, args.key_id),
        },
    )


if __name__ == "__main__":
    sys.exit(main())
