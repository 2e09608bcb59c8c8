"""Run the Monta Partner API emulator as a real process and drive its control API.

with monta_emulator(log_dir, time_scale=60) as emu:
    token = emu.token("alpha-client", "alpha-secret-change-me")
    emu.set_charge_point(101, car={"battery_kwh": 5})
    truth = emu.truth()
    emu.set_faults([http_fault(START, "timeout_then_commit", count=1, skip=1, delay_s=2)])
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx

from tests.support.fault_rules import rule
from tests.support.processes import ServerProcess, python_server

ALPHA = ("alpha-client", "alpha-secret-change-me")
BRAVO = ("bravo-client", "bravo-secret-change-me")
LIMITED = ("limited-client", "limited-secret-change-me")
TIMEOUT_S = 10.0

# The operationIds of the money path: the Monta steps of the fault matrix.
CHARGE_POINT = "get-charge-point"
PRICE_GROUP = "getPriceGroup"
START = "start-charge"
FIND = "get-charges"  # by partnerExternalId
STOP = "stop-charge"
RECEIPT = "patch-charge"
READ = "get-charge"

HttpKind = Literal[
    "5xx", "4xx", "timeout", "commit_then_drop", "timeout_then_commit", "slow", "429"
]


def http_fault(
    operation: str,
    kind: HttpKind,
    *,
    count: int | None = None,
    skip: int = 0,
    rate: float | None = None,
    delay_s: float | None = None,
    status: int | None = None,
    error_code: str | None = None,
) -> dict[str, Any]:
    """One rule for `set_faults(http=[...])`; unset fields take the emulator's defaults.

    `skip` lets the first matching calls through; `count` then caps how often it fires;
    `status`/`error_code` only for kinds 4xx (default 400 BAD_REQUEST) and 5xx (500).
    """
    return rule(
        operation, kind, skip,
        count=count, rate=rate, delay_s=delay_s, status=status, error_code=error_code,
    )  # fmt: skip


@dataclass
class MontaEmulator:
    server: ServerProcess
    time_scale: float

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def base_url(self) -> str:
        return self.url + "/api/v1"

    # -- sync helpers -------------------------------------------------------------------
    def _call(self, method: str, path: str, json: Any = None) -> Any:
        resp = httpx.request(method, self.url + path, json=json, timeout=TIMEOUT_S)
        resp.raise_for_status()
        return resp.json()

    def token(self, client_id: str = ALPHA[0], secret: str = ALPHA[1]) -> str:
        body = self._call(
            "POST", "/api/v1/auth/token", {"clientId": client_id, "clientSecret": secret}
        )
        return str(body["accessToken"])

    def set_faults(
        self,
        http: list[dict[str, Any]] | None = None,
        webhooks: dict[str, Any] | None = None,
        seed: int | None = None,
    ) -> Any:
        return self._call("PUT", "/_emulator/faults", _faults(http, webhooks, seed))

    def faults(self) -> Any:
        return self._call("GET", "/_emulator/faults")

    def set_charge_point(
        self, point_id: int, state: str | None = None, car: dict[str, Any] | None = None
    ) -> Any:
        return self._call("PUT", f"/_emulator/charge-points/{point_id}", _point(state, car))

    def unplug(self, charge_id: int) -> Any:
        return self._call("POST", f"/_emulator/charges/{charge_id}/unplug")

    def truth(self, since: float | None = None) -> Any:
        return self._call("GET", "/_emulator/truth" + (f"?since={since}" if since else ""))

    def reset(self) -> Any:
        return self._call("POST", "/_emulator/reset")

    def kill(self) -> None:
        self.server.kill()

    # -- async helpers ------------------------------------------------------------------
    async def _acall(self, method: str, path: str, json: Any = None) -> Any:
        async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
            resp = await client.request(method, self.url + path, json=json)
            resp.raise_for_status()
            return resp.json()

    async def atoken(self, client_id: str = ALPHA[0], secret: str = ALPHA[1]) -> str:
        body = await self._acall(
            "POST", "/api/v1/auth/token", {"clientId": client_id, "clientSecret": secret}
        )
        return str(body["accessToken"])

    async def aset_faults(
        self,
        http: list[dict[str, Any]] | None = None,
        webhooks: dict[str, Any] | None = None,
        seed: int | None = None,
    ) -> Any:
        return await self._acall("PUT", "/_emulator/faults", _faults(http, webhooks, seed))

    async def aset_charge_point(
        self, point_id: int, state: str | None = None, car: dict[str, Any] | None = None
    ) -> Any:
        return await self._acall("PUT", f"/_emulator/charge-points/{point_id}", _point(state, car))

    async def aunplug(self, charge_id: int) -> Any:
        return await self._acall("POST", f"/_emulator/charges/{charge_id}/unplug")

    async def atruth(self, since: float | None = None) -> Any:
        return await self._acall("GET", "/_emulator/truth" + (f"?since={since}" if since else ""))

    async def areset(self) -> Any:
        return await self._acall("POST", "/_emulator/reset")


def _faults(
    http: list[dict[str, Any]] | None, webhooks: dict[str, Any] | None, seed: int | None
) -> dict[str, Any]:
    body: dict[str, Any] = {"http": http or []}
    if webhooks is not None:
        body["webhooks"] = webhooks
    if seed is not None:
        body["seed"] = seed
    return body


def _point(state: str | None, car: dict[str, Any] | None) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if state is not None:
        body["state"] = state
    if car is not None:
        body["car"] = car
    return body


@contextmanager
def monta_emulator(
    log_dir: Path, *, time_scale: float = 60.0, env: dict[str, str] | None = None
) -> Iterator[MontaEmulator]:
    """The emulator on a free port; `env` overrides MONTA_EMU_* settings."""
    full_env = {"TIME_SCALE": str(time_scale), **(env or {})}
    with python_server(
        ["-m", "emulators.monta", "--port", "{port}"],
        env=full_env,
        health_path="/_emulator/health",
        log_dir=log_dir,
        name="monta-emulator",
    ) as server:
        yield MontaEmulator(server, time_scale)
