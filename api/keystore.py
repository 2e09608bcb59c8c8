"""Terminal API keys: a JSON file of SHA-256 hashes, re-read when its mtime changes.

A key is `cpk_<key id>_<256 random bits>`; only its SHA-256 is stored, so the file holds
nothing that authenticates. Each key belongs to one terminal of one operator; the terminal
record lists the charge points it may start. The CLI (`python -m api.keys`) edits the file
atomically, and running APIs pick the change up on their next request: no restart.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import secrets
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

KEY_PREFIX = "cpk_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def terminal_ref(operator: str, terminal_id: str) -> str:
    return f"{operator}/{terminal_id}"


class TerminalRecord(BaseModel):
    operator: str
    terminal_id: str
    charge_point_ids: list[int] = Field(default_factory=list)


class KeyRecord(BaseModel):
    key_id: str
    sha256: str
    operator: str
    terminal_id: str
    label: str = ""
    created_at: datetime
    revoked_at: datetime | None = None


class KeyFile(BaseModel):
    version: int = 1
    terminals: dict[str, TerminalRecord] = Field(default_factory=dict)
    keys: dict[str, KeyRecord] = Field(default_factory=dict)


@dataclass(frozen=True)
class TerminalScope:
    """Who is calling: one terminal of one operator, and what it may start."""

    operator: str
    terminal_id: str
    charge_point_ids: frozenset[int]
    key_id: str

    def may_use(self, charge_point_id: int) -> bool:
        return charge_point_id in self.charge_point_ids


def read_key_file(path: Path) -> KeyFile:
    try:
        return KeyFile.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        return KeyFile()


def _write_atomic(path: Path, data: KeyFile) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(data.model_dump_json(indent=2))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def edit_key_file(path: Path) -> Iterator[KeyFile]:
    """Read-modify-write under an exclusive lock (two CLI runs never lose an edit)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = read_key_file(path)
        yield data
        _write_atomic(path, data)


def issue_key(
    data: KeyFile, operator: str, terminal_id: str, label: str = ""
) -> tuple[str, KeyRecord]:
    """Add a new key for a terminal; returns (the key, shown once, and its record)."""
    key_id = secrets.token_hex(4)
    key = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    record = KeyRecord(
        key_id=key_id,
        sha256=hash_key(key),
        operator=operator,
        terminal_id=terminal_id,
        label=label,
        created_at=datetime.now(UTC),
    )
    data.keys[key_id] = record
    data.terminals.setdefault(
        terminal_ref(operator, terminal_id),
        TerminalRecord(operator=operator, terminal_id=terminal_id),
    )
    return key, record


class KeyStore:
    """Looks keys up by hash; reloads the file when its mtime or size changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._by_hash: dict[str, TerminalScope] = {}

    def _current_stamp(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def _reload(self, stamp: tuple[int, int] | None) -> None:
        data = read_key_file(self.path) if stamp is not None else KeyFile()
        by_hash: dict[str, TerminalScope] = {}
        for record in data.keys.values():
            if record.revoked_at is not None:
                continue
            terminal = data.terminals.get(terminal_ref(record.operator, record.terminal_id))
            by_hash[record.sha256] = TerminalScope(
                operator=record.operator,
                terminal_id=record.terminal_id,
                charge_point_ids=frozenset(terminal.charge_point_ids if terminal else ()),
                key_id=record.key_id,
            )
        self._by_hash = by_hash
        self._stamp = stamp

    def lookup(self, key: str) -> TerminalScope | None:
        stamp = self._current_stamp()
        with self._lock:
            if stamp != self._stamp or (stamp is None and self._by_hash):
                self._reload(stamp)
            return self._by_hash.get(hash_key(key))
