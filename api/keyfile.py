"""What terminal and operator key files share: hashing, locked atomic edits, reloading.

A key file is JSON holding only SHA-256 hashes of keys, so it holds nothing that
authenticates. CLIs edit it under an exclusive lock and replace it atomically; running APIs
rebuild their lookup table when its mtime or size changes, so a new or revoked key takes
effect on the next request without a restart.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import secrets
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key(prefix: str) -> tuple[str, str]:
    """(key id, key): `<prefix><key id>_<256 random bits>`; the id is safe to show and log."""
    key_id = secrets.token_hex(4)
    return key_id, f"{prefix}{key_id}_{secrets.token_urlsafe(32)}"


def read_model(path: Path, model: type[M]) -> M:
    """The file parsed as `model`; a missing file is an empty one."""
    try:
        return model.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        return model()


def write_atomic(path: Path, data: BaseModel) -> None:
    """Readers see the old file or the new one, never half of it; only the owner reads it."""
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
def edit_model(path: Path, model: type[M]) -> Iterator[M]:
    """Read-modify-write under an exclusive lock (two CLI runs never lose an edit)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = read_model(path, model)
        yield data
        write_atomic(path, data)


Stamp = tuple[int, int]


class KeyFileUnreadable(RuntimeError):
    """The key file exists but cannot be parsed: every key lookup answers 503 until it is
    fixed (never a 500, never an open door)."""


class HashIndex(Generic[T]):
    """hash -> T, rebuilt by `build(path)` whenever the file's mtime or size changes."""

    def __init__(self, path: Path, build: Callable[[Path], dict[str, T]]) -> None:
        self.path = path
        self._build = build
        self._lock = threading.Lock()
        self._stamp: Stamp | None = None
        self._by_hash: dict[str, T] = {}

    def _current_stamp(self) -> Stamp | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def get(self, key: str) -> T | None:
        stamp = self._current_stamp()
        with self._lock:
            if stamp != self._stamp or (stamp is None and self._by_hash):
                try:
                    self._by_hash = self._build(self.path) if stamp is not None else {}
                except (ValueError, OSError) as exc:
                    log.error("key file %s cannot be read: %s", self.path, type(exc).__name__)
                    raise KeyFileUnreadable(str(self.path)) from exc
                self._stamp = stamp
            return self._by_hash.get(hash_key(key))
