"""`/healthz`: the process answers. `/readyz`: Temporal answers too."""

from __future__ import annotations

import logging
from datetime import timedelta

from fastapi import APIRouter
from pydantic import BaseModel

from api.dependencies import State
from api.errors import ApiError, error_responses

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])
READY_TIMEOUT = timedelta(seconds=3)


class Health(BaseModel):
    status: str


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses=error_responses(503))
async def readyz(state: State) -> Health:
    client = state.temporal
    if client is None:
        raise ApiError(503, "temporal_unavailable", "not connected to Temporal yet")
    try:
        ok = await client.service_client.check_health(timeout=READY_TIMEOUT)
    except Exception as exc:  # any failure to reach Temporal means "not ready"
        # The exception text (addresses, TLS details) is for the log, not the caller.
        log.warning("readiness: Temporal is not reachable: %r", exc)
        raise ApiError(503, "temporal_unavailable", "Temporal is not reachable") from exc
    if not ok:
        raise ApiError(503, "temporal_unavailable", "Temporal reports not serving")
    return Health(status="ready")
