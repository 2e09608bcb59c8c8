"""Operator authentication: `Authorization: Bearer <operator key>` (see operator_keystore.py).

Missing, unknown or revoked key, or a terminal's key -> 401; another operator's session
-> 403. Its own security scheme, so OpenAPI shows the two kinds of key apart.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import MAX_KEY_LENGTH, forbid
from api.dependencies import State
from api.errors import ApiError
from api.operator_keystore import OPERATOR_KEY_PREFIX, OperatorKeyStore, OperatorScope

operator_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="OperatorKey",
    description="Per-person operator key issued by `python -m api.operator_keys create`.",
)

_CHALLENGE = {"WWW-Authenticate": "Bearer"}


@lru_cache(maxsize=8)
def _store(path: Path) -> OperatorKeyStore:
    # One store per file for the process: it only caches the file's hashes and re-reads the
    # file when it changes, so sharing it between apps with the same settings is safe.
    return OperatorKeyStore(path)


def operator_scope(
    state: State,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(operator_bearer)],
) -> OperatorScope:
    if creds is None or not creds.credentials:
        raise ApiError(401, "unauthorized", "missing bearer key", headers=_CHALLENGE)
    key = creds.credentials
    if not key.startswith(OPERATOR_KEY_PREFIX):
        message = f"not an operator key (they start with {OPERATOR_KEY_PREFIX})"
        raise ApiError(401, "unauthorized", message, headers=_CHALLENGE)
    store = _store(state.settings.operator_keys_file)
    scope = store.lookup(key) if len(key) <= MAX_KEY_LENGTH else None
    if scope is None:
        raise ApiError(401, "unauthorized", "unknown or revoked key", headers=_CHALLENGE)
    return scope


OperatorUser = Annotated[OperatorScope, Depends(operator_scope)]


def require_operator_session(scope: OperatorScope, session_id: str) -> None:
    if not scope.owns(session_id):
        raise forbid("this session belongs to another operator")
