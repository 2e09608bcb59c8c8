"""Start a real server process on a free port and wait until it answers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from devstack.procs import free_port as devstack_free_port

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """The dev stack's: never the same port twice in one process (devstack/procs.py)."""
    return devstack_free_port()


def wait_http(
    url: str, timeout_s: float = 30.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.HTTPError as exc:
            last = exc
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout_s}s: {last}")


@dataclass
class ServerProcess:
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """SIGKILL: no clean-up, as a crash would."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def python_server(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    port: int | None = None,
    health_path: str = "/",
    log_dir: Path,
    name: str,
) -> Iterator[ServerProcess]:
    """Run `python <args>` (with `{port}` substituted) and yield once it answers HTTP."""
    port = port or free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}-{port}.log"
    full_env = {**os.environ, **(env or {})}
    argv = [sys.executable, *(a.replace("{port}", str(port)) for a in args)]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(argv, cwd=REPO, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    server = ServerProcess(proc, port, log_path)
    try:
        wait_http(f"{server.url}{health_path}", proc=proc)
        yield server
    finally:
        server.stop()
