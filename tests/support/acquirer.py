"""The acquirer emulator as a real subprocess, with a small sync client for tests.

with acquirer_emulator(log_dir, time_scale=60.0) as acq:
    ref = acq.place_hold("term-1", 5000, "EUR")   # what a payment terminal does
    ...
    assert all(h["status"] != "open" for h in acq.truth()["holds"])
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from emulators.payments.faults import FaultKind, Operation
from tests.support.fault_rules import rule
from tests.support.processes import ServerProcess, python_server

APPROVED_CARD = "4242424242424242"


def fault_rule(
    operation: Operation,
    kind: FaultKind,
    *,
    count: int | None = None,
    skip: int = 0,
    rate: float | None = None,
    delay_s: float | None = None,
    status: int | None = None,
    error_type: str | None = None,
) -> dict[str, Any]:
    """One rule for `set_faults([...])`; unset fields take the emulator's defaults.

    `skip` lets the first matching calls through; `count` then caps how often it fires;
    `status`/`error_type` only for kinds 4xx (default 400 invalid_request) and 5xx (503).
    """
    return rule(
        operation, kind, skip,
        count=count, rate=rate, delay_s=delay_s, status=status, error_type=error_type,
    )  # fmt: skip


class HoldDeclined(Exception):
    def __init__(self, decline_code: str) -> None:
        super().__init__(decline_code)
        self.decline_code = decline_code


@dataclass
class AcquirerEmulator:
    server: ServerProcess
    _client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self._client = httpx.Client(base_url=self.server.url, timeout=10.0)

    @property
    def url(self) -> str:
        return self.server.url

    def _ok(self, response: httpx.Response) -> Any:
        response.raise_for_status()
        return response.json()

    def place_hold(
        self,
        terminal_id: str,
        amount_minor: int,
        currency: str,
        card_number: str = APPROVED_CARD,
    ) -> str:
        """Tap a card on a terminal; returns the hold's authorization_ref."""
        body = {
            "terminal_id": terminal_id,
            "amount_minor": amount_minor,
            "currency": currency,
            "card_number": card_number,
        }
        response = self._client.post("/v1/terminal/holds", json=body)
        if response.status_code == 402:
            raise HoldDeclined(response.json()["error"]["decline_code"])
        return str(self._ok(response)["authorization_ref"])

    def set_faults(self, rules: list[dict[str, Any]], seed: int | None = None) -> dict[str, Any]:
        result: dict[str, Any] = self._ok(
            self._client.put("/_emulator/faults", json={"seed": seed, "rules": rules})
        )
        return result

    def clear_faults(self) -> None:
        self.set_faults([])

    def faults(self) -> dict[str, Any]:
        result: dict[str, Any] = self._ok(self._client.get("/_emulator/faults"))
        return result

    def truth(self) -> dict[str, Any]:
        result: dict[str, Any] = self._ok(self._client.get("/_emulator/truth"))
        return result

    def hold(self, hold_id: str) -> dict[str, Any]:
        """One hold's ground truth (status, captures, voids, increments)."""
        for hold in self.truth()["holds"]:
            if hold["id"] == hold_id:
                return dict(hold)
        raise KeyError(hold_id)

    def expire(self, hold_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._ok(self._client.post(f"/_emulator/holds/{hold_id}/expire"))
        return result

    def reset(self) -> None:
        self._ok(self._client.post("/_emulator/reset"))

    def kill(self) -> None:
        self.server.kill()

    def close(self) -> None:
        self._client.close()


@contextmanager
def acquirer_emulator(
    log_dir: Path, *, time_scale: float = 60.0, env: Mapping[str, str] | None = None
) -> Iterator[AcquirerEmulator]:
    """Run `python -m emulators.payments` on a free port until the block ends."""
    full_env = {"TIME_SCALE": str(time_scale), **(env or {})}
    with python_server(
        ["-m", "emulators.payments", "--port", "{port}"],
        env=full_env,
        health_path="/_emulator/health",
        log_dir=log_dir,
        name="acquirer",
    ) as server:
        emulator = AcquirerEmulator(server)
        try:
            yield emulator
        finally:
            emulator.close()
