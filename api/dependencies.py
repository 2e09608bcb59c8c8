"""What routes get injected: settings, the Temporal client, operators, the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from temporalio.client import Client

from api.errors import ApiError
from api.keystore import KeyStore
from core.operators import Operator
from settings import Settings


@dataclass
class AppState:
    """Everything the app holds for its lifetime (on `app.state.chargepay`)."""

    settings: Settings
    operators: dict[str, Operator]
    keys: KeyStore
    temporal: Client | None = None
    extras: dict[str, object] = field(default_factory=dict)


def app_state(request: Request) -> AppState:
    state = request.app.state.chargepay
    assert isinstance(state, AppState)
    return state


State = Annotated[AppState, Depends(app_state)]


def temporal_client(state: State) -> Client:
    if state.temporal is None:
        raise ApiError(503, "temporal_unavailable", "not connected to Temporal yet")
    return state.temporal


Temporal = Annotated[Client, Depends(temporal_client)]


def operator_of(state: AppState, key: str) -> Operator:
    operator = state.operators.get(key)
    if operator is None:
        raise ApiError(404, "operator_unknown", f"no operator {key!r} is configured")
    return operator
