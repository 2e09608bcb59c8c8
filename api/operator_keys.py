"""Provision operator keys (support staff acting on flagged sessions) without a restart.

    python -m api.operator_keys create --operator alpha --user alice@example.com
    python -m api.operator_keys list   [--operator alpha]
    python -m api.operator_keys revoke <key id>

The key is printed once by `create` and never stored (only its SHA-256). The file is
`CHARGEPAY_OPERATOR_KEYS_FILE` (or `--file`), separate from the terminal keys; running APIs
re-read it when it changes.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from api.key_cli import CliError, key_parser, print_new_key, print_rows, run_key_command
from api.operator_keystore import (
    USER_MAX_LENGTH,
    edit_operator_key_file,
    issue_operator_key,
    read_operator_key_file,
)
from workflows.contracts import SessionRequest


def _check(operator: str, user: str) -> None:
    # The operator must be one a session id can name (SessionRequest's pattern); the user
    # is recorded with every action, within OperatorAction's limit.
    pattern = SessionRequest.model_json_schema()["properties"]["operator"]["pattern"]
    if not re.fullmatch(pattern, operator):
        raise CliError(f"operator {operator!r} does not match {pattern}")
    if not user.strip() or len(user) > USER_MAX_LENGTH or not user.isprintable():
        raise CliError(f"user must be 1 to {USER_MAX_LENGTH} printable characters")


def create_key(path: Path, operator: str, user: str) -> tuple[str, str]:
    """Issue a key for `user` acting for `operator`; returns (key id, key)."""
    _check(operator, user)
    with edit_operator_key_file(path) as data:
        key, record = issue_operator_key(data, operator, user)
    return record.key_id, key


def revoke_key(path: Path, key_id: str) -> None:
    with edit_operator_key_file(path) as data:
        record = data.keys.get(key_id)
        if record is None:
            raise CliError(f"no operator key {key_id!r}")
        if record.revoked_at is None:
            data.keys[key_id] = record.model_copy(update={"revoked_at": datetime.now(UTC)})


def list_keys(path: Path, operator: str | None = None) -> list[dict[str, object]]:
    return [
        record.model_dump(mode="json", exclude={"sha256"})
        for record in read_operator_key_file(path).keys.values()
        if not operator or record.operator == operator
    ]


def _parser() -> argparse.ArgumentParser:
    p, sub = key_parser(
        "python -m api.operator_keys",
        __doc__ or "",
        "keys file (default: settings.operator_keys_file)",
    )
    c = sub.add_parser("create")
    c.add_argument("--operator", required=True)
    c.add_argument("--user", required=True, help="who acts (name or email), shown in history")
    c.add_argument("--json", action="store_true", help="print {key_id, key} as JSON")
    return p


def _create(path: Path, args: argparse.Namespace) -> None:
    key_id, key = create_key(path, args.operator, args.user)
    print_new_key(key_id, key, args.json, f"give it to {args.user}")


def main(argv: Sequence[str] | None = None) -> int:
    def default_file() -> Path:
        from settings import get_settings

        return get_settings().operator_keys_file

    return run_key_command(
        _parser().parse_args(argv),
        default_file,
        {
            "create": _create,
            "list": lambda path, args: print_rows(list_keys(path, args.operator)),
            "revoke": lambda path, args: revoke_key(path, args.key_id),
        },
    )


if __name__ == "__main__":
    sys.exit(main())
