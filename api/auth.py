"""Terminal authentication: `Authorization: Bearer <per-terminal key>` (see keystore.py).

Missing or unknown key -> 401; a key used outside its scope (another terminal's session,
a charge point not mapped to the terminal) -> 403, raised by the routes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.dependencies import State
from api.errors import ApiError
from api.keystore import TerminalScope

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="TerminalKey",
    description="Per-terminal API key issued by `python -m api.keys create`.",
)

_CHALLENGE = {"WWW-Authenticate": "Bearer"}
MAX_KEY_LENGTH = 200


def terminal_scope(
    state: State,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> TerminalScope:
    if creds is None or not creds.credentials:
        raise ApiError(401, "unauthorized", "missing bearer key", headers=_CHALLENGE)
    key = creds.credentials
    scope = state.keys.lookup(key) if len(key) <= MAX_KEY_LENGTH else None
    if scope is None:
        raise ApiError(401, "unauthorized", "unknown or revoked key", headers=_CHALLENGE)
    return scope


Terminal = Annotated[TerminalScope, Depends(terminal_scope)]


def forbid(message: str, error: str = "forbidden") -> ApiError:
    return ApiError(403, error, message)


def require_session_owner(scope: TerminalScope, session_id: str) -> None:
    """Session ids embed operator and terminal (neither may contain '-'): a prefix check."""
    if not session_id.startswith(f"session-{scope.operator}-{scope.terminal_id}-"):
        raise forbid("this session belongs to another terminal")


def require_charge_point(scope: TerminalScope, charge_point_id: int) -> None:
    if not scope.may_use(charge_point_id):
        raise forbid(
            f"terminal {scope.terminal_id} may not use charge point {charge_point_id}",
            "charge_point_not_allowed",
        )
