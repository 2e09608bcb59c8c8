"""The Monta emulator as a subprocess, for this package's integration tests.

Prefers the shared helper (tests/support/monta_emulator.py) when it exists; until then a
thin handle over `python_server` with the control calls these tests use.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.support.processes import python_server


class EmuHandle:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._http = httpx.Client(base_url=base_url, timeout=10)

    def set_faults(self, http: list[dict[str, Any]]) -> None:
        self._http.put("/_emulator/faults", json={"http": http}).raise_for_status()

    def truth(self) -> dict[str, Any]:
        resp = self._http.get("/_emulator/truth")
        resp.raise_for_status()
        return resp.json()

    def reset(self) -> None:
        self._http.post("/_emulator/reset").raise_for_status()

    def close(self) -> None:
        self._http.close()


@contextmanager
def run_emulator(
    log_dir: Path, *, time_scale: float = 100.0, env: Mapping[str, str] | None = None
) -> Iterator[EmuHandle]:
    full_env = {"TIME_SCALE": str(time_scale), **(env or {})}
    with python_server(
        ["-m", "emulators.monta", "--port", "{port}"],
        env=full_env,
        health_path="/_emulator/health",
        log_dir=log_dir,
        name="monta-emu",
    ) as server:
        handle = EmuHandle(server.url)
        try:
            yield handle
        finally:
            handle.close()
