"""The floor's stop: one HTTP request to the Monta emulator's stop route, as a session's
local activity sends one (activities/monta). The bench's charges are not the emulator's,
and its credential may not control charging: the request is answered at once with an
error, after the emulator recorded its arrival, which is all the floor measures."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from temporalio import activity

from bench.hook_bare import HOOK_STOP


@dataclass
class StopTarget:
    monta_url: str
    token: str
    http: httpx.AsyncClient


_target: StopTarget | None = None


def configure(target: StopTarget) -> None:
    global _target
    _target = target


@activity.defn(name=HOOK_STOP)
async def hook_stop(charge_id: int) -> int:
    assert _target is not None, "hook_stop.configure() first"
    resp = await _target.http.get(
        f"{_target.monta_url}/api/v1/charges/{charge_id}/stop",
        headers={"Authorization": f"Bearer {_target.token}"},
    )
    return resp.status_code
