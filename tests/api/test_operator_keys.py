"""Operator keys: own prefix and file, CLI edits, store re-reads, never a terminal's key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from api import keys as terminal_keys
from api.keystore import KeyStore
from api.operator_keys import create_key, list_keys, main, revoke_key
from api.operator_keystore import OPERATOR_KEY_PREFIX, OperatorKeyStore
from tests.support.processes import REPO


def test_create_lookup_revoke(tmp_path: Path) -> None:
    path = tmp_path / "operator_keys.json"
    store = OperatorKeyStore(path)
    key_id, key = create_key(path, "alpha", "alice@example.com")
    assert key.startswith(f"{OPERATOR_KEY_PREFIX}{key_id}_")
    scope = store.lookup(key)
    assert scope is not None
    assert (scope.operator, scope.user, scope.key_id) == ("alpha", "alice@example.com", key_id)
    assert scope.owns("session-alpha-T1-tx_1") and not scope.owns("session-alphabet-T1-tx_1")
    assert key not in path.read_text()  # only the hash is stored
    revoke_key(path, key_id)
    os.utime(path, ns=(0, 1))  # mtime moves even within one clock tick
    assert store.lookup(key) is None
    [row] = list_keys(path)
    assert row["revoked_at"] is not None and "sha256" not in row


def test_store_rereads_the_file(tmp_path: Path) -> None:
    path = tmp_path / "operator_keys.json"
    store = OperatorKeyStore(path)
    assert store.lookup("opk_x_y") is None  # no file yet
    _, first = create_key(path, "alpha", "alice")
    assert store.lookup(first) is not None
    _, second = create_key(path, "bravo", "bob")  # another process's edit
    os.utime(path, ns=(0, 2))
    scope = store.lookup(second)
    assert scope is not None and scope.operator == "bravo"
    path.unlink()
    assert store.lookup(first) is None


def test_terminal_and_operator_keys_never_cross(tmp_path: Path) -> None:
    """Even with both kinds in one file by mistake, each store takes only its own prefix."""
    terminal_file, operator_file = tmp_path / "terminal.json", tmp_path / "operator.json"
    _, terminal_key = terminal_keys.create_key(terminal_file, "alpha", "T1", [101])
    _, operator_key = create_key(operator_file, "alpha", "alice")
    assert OperatorKeyStore(operator_file).lookup(terminal_key) is None
    assert KeyStore(terminal_file).lookup(operator_key) is None
    # The same hash planted in the other file still does not authenticate.
    terminal_records = json.loads(terminal_file.read_text())
    operator_records = json.loads(operator_file.read_text())
    [op_record] = operator_records["keys"].values()
    [t_record] = terminal_records["keys"].values()
    op_record["sha256"], t_record["sha256"] = t_record["sha256"], op_record["sha256"]
    operator_file.write_text(json.dumps(operator_records))
    terminal_file.write_text(json.dumps(terminal_records))
    assert OperatorKeyStore(operator_file).lookup(terminal_key) is None
    assert KeyStore(terminal_file).lookup(operator_key) is None


def test_cli_checks_operator_and_user(tmp_path: Path) -> None:
    path = tmp_path / "operator_keys.json"
    base = ["--file", str(path), "create"]
    assert main([*base, "--operator", "al-pha", "--user", "alice"]) == 2  # '-' splits ids
    assert main([*base, "--operator", "alpha", "--user", "x" * 65]) == 2
    assert main([*base, "--operator", "alpha", "--user", " "]) == 2
    assert main(["--file", str(path), "revoke", "nope"]) == 2
    assert not path.exists()


def test_cli_as_a_process(tmp_path: Path) -> None:
    path = tmp_path / "operator_keys.json"
    argv = [sys.executable, "-m", "api.operator_keys", "--file", str(path)]

    def run(*args: str) -> str:
        done = subprocess.run(
            [*argv, *args], cwd=REPO, check=True, capture_output=True, text=True, timeout=60
        )
        return done.stdout

    created = json.loads(
        run("create", "--operator", "alpha", "--user", "alice@example.com", "--json")
    )
    assert OperatorKeyStore(path).lookup(created["key"]) is not None
    [listed] = json.loads(run("list", "--operator", "alpha"))
    assert listed["key_id"] == created["key_id"] and listed["user"] == "alice@example.com"
    assert json.loads(run("list", "--operator", "bravo")) == []
    run("revoke", created["key_id"])
    assert OperatorKeyStore(path).lookup(created["key"]) is None
    assert created["key"] not in path.read_text()
