"""Terminal API keys: a JSON file of SHA-256 hashes, re-read when its mtime changes.

A key is `cpk_<key id>_<256 random bits>`; only its SHA-256 is stored, so the file holds
nothing that authenticates. Each key belongs to one terminal of one operator; the terminal
record lists the charge points it may start. The CLI (`python -m api.keys`) edits the file
atomically, and running APIs pick the change up on their next request: no restart.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from api.keyfile import HashIndex, edit_model, hash_key, new_key, read_model

KEY_PREFIX = "cpk_"


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
    return read_model(path, KeyFile)


@contextmanager
def edit_key_file(path: Path) -> Iterator[KeyFile]:
    """Read-modify-write under an exclusive lock (two CLI runs never lose an edit)."""
    with edit_model(path, KeyFile) as data:
        yield data


def issue_key(
    data: KeyFile, operator: str, terminal_id: str, label: str = ""
) -> tuple[str, KeyRecord]:
    """Add a new key for a terminal; returns (the key, shown once, and its record)."""
    key_id, key = new_key(KEY_PREFIX)
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


def _scopes(path: Path) -> dict[str, TerminalScope]:
    data = read_key_file(path)
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
    return by_hash


class KeyStore:
    """Looks keys up by hash; reloads the file when its mtime or size changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._index = HashIndex(path, _scopes)

    def lookup(self, key: str) -> TerminalScope | None:
        # The prefix keeps every other kind of key (operator keys) out, whatever the file.
        if not key.startswith(KEY_PREFIX):
            return None
        return self._index.get(key)
