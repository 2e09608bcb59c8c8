"""Operator keys: the people who act on flagged sessions, kept apart from terminal keys.

A key is `opk_<key id>_<256 random bits>` and belongs to one person (`user`, shown in the
session's history as who acted) of one operator (the tenant whose sessions it may act on).
Like terminal keys (keystore.py) only the SHA-256 is stored, in a file of its own that the
CLI (`python -m api.operator_keys`) edits and running APIs re-read. The prefix and the
separate file keep the two kinds apart: a terminal key is never an operator key, nor the
other way round.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from api.keyfile import HashIndex, edit_model, hash_key, new_key, read_model

OPERATOR_KEY_PREFIX = "opk_"
USER_MAX_LENGTH = 64  # OperatorAction.operator_user's limit


class OperatorKeyRecord(BaseModel):
    key_id: str
    sha256: str
    operator: str
    user: str
    created_at: datetime
    revoked_at: datetime | None = None


class OperatorKeyFile(BaseModel):
    version: int = 1
    keys: dict[str, OperatorKeyRecord] = Field(default_factory=dict)


@dataclass(frozen=True)
class OperatorScope:
    """Who is calling: one person acting for one operator."""

    operator: str
    user: str
    key_id: str

    def owns(self, session_id: str) -> bool:
        # Session ids are `session-<operator>-<terminal>-<tx>` and operators contain no '-'.
        return session_id.startswith(f"session-{self.operator}-")


def read_operator_key_file(path: Path) -> OperatorKeyFile:
    return read_model(path, OperatorKeyFile)


@contextmanager
def edit_operator_key_file(path: Path) -> Iterator[OperatorKeyFile]:
    with edit_model(path, OperatorKeyFile) as data:
        yield data


def issue_operator_key(
    data: OperatorKeyFile, operator: str, user: str
) -> tuple[str, OperatorKeyRecord]:
    """Add a key for a person; returns (the key, shown once, and its record)."""
    key_id, key = new_key(OPERATOR_KEY_PREFIX)
    record = OperatorKeyRecord(
        key_id=key_id,
        sha256=hash_key(key),
        operator=operator,
        user=user,
        created_at=datetime.now(UTC),
    )
    data.keys[key_id] = record
    return key, record


def _scopes(path: Path) -> dict[str, OperatorScope]:
    return {
        record.sha256: OperatorScope(record.operator, record.user, record.key_id)
        for record in read_operator_key_file(path).keys.values()
        if record.revoked_at is None
    }


class OperatorKeyStore:
    """Looks operator keys up by hash; reloads the file when its mtime or size changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._index = HashIndex(path, _scopes)

    def lookup(self, key: str) -> OperatorScope | None:
        if not key.startswith(OPERATOR_KEY_PREFIX):
            return None
        return self._index.get(key)
