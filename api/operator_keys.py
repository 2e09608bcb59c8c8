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
import json
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from api.operator_keystore import (
    USER_MAX_LENGTH,
    edit_operator_key_file,
    issue_operator_key,
    read_operator_key_file,
)
from workflows.contracts import SessionRequest


class CliError(Exception):
    pass


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
    p = argparse.ArgumentParser(
        prog="python -m api.operator_keys", description=__doc__.split("\n")[0]
    )
    p.add_argument("--file", type=Path, help="keys file (default: settings.operator_keys_file)")
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("create")
    c.add_argument("--operator", required=True)
    c.add_argument("--user", required=True, help="who acts (name or email), shown in history")
    c.add_argument("--json", action="store_true", help="print {key_id, key} as JSON")
    ls = sub.add_parser("list")
    ls.add_argument("--operator")
    rv = sub.add_parser("revoke")
    rv.add_argument("key_id")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.file is None:
        from settings import get_settings

        args.file = get_settings().operator_keys_file
    path: Path = args.file
    try:
        if args.command == "create":
            key_id, key = create_key(path, args.operator, args.user)
            if args.json:
                print(json.dumps({"key_id": key_id, "key": key}))
            else:
                print(f"key id: {key_id}\nkey (shown once, give it to {args.user}): {key}")
        elif args.command == "list":
            print(json.dumps(list_keys(path, args.operator), indent=2))
        elif args.command == "revoke":
            revoke_key(path, args.key_id)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
