"""Terminal keys: the CLI edits the file, the store re-reads it, only hashes are stored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from api.keys import create_key, list_keys, main, map_terminal, revoke_key
from api.keystore import KeyStore
from tests.support.processes import REPO


def test_create_lookup_map_revoke(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    store = KeyStore(path)
    key_id, key = create_key(path, "alpha", "T1", [101, 102])
    scope = store.lookup(key)
    assert scope is not None and scope.terminal_id == "T1" and scope.operator == "alpha"
    assert scope.charge_point_ids == {101, 102}
    assert key not in path.read_text()  # only the hash is stored
    map_terminal(path, "alpha", "T1", [103])
    os.utime(path, ns=(0, 1))  # mtime moves even within one clock tick
    scope = store.lookup(key)
    assert scope is not None and scope.charge_point_ids == {103}
    revoke_key(path, key_id)
    os.utime(path, ns=(0, 2))
    assert store.lookup(key) is None
    assert list_keys(path)[0]["revoked_at"] is not None


def test_unknown_key_and_bad_ids(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    assert KeyStore(path).lookup("cpk_x_y") is None
    assert main(["--file", str(path), "create", "--operator", "alpha", "--terminal", "a-b"]) == 2
    assert main(["--file", str(path), "revoke", "nope"]) == 2


def test_cli_as_a_process(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    argv = [sys.executable, "-m", "api.keys", "--file", str(path)]
    out = subprocess.run(
        [
            *argv,
            "create",
            "--operator",
            "bravo",
            "--terminal",
            "B1",
            "--charge-point",
            "201",
            "--json",
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    created = json.loads(out)
    assert KeyStore(path).lookup(created["key"]) is not None
    listed = json.loads(
        subprocess.run(
            [*argv, "list"], cwd=REPO, check=True, capture_output=True, text=True, timeout=60
        ).stdout
    )
    assert listed[0]["key_id"] == created["key_id"] and listed[0]["charge_point_ids"] == [201]
