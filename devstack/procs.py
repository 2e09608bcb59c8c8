"""Child processes of the stack: start with a log file, wait until they answer, stop cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from devstack.envfile import REPO

LOG_FILE_MODE = 0o640


_HANDED_OUT: set[int] = set()
_HANDED_OUT_LOCK = threading.Lock()


def free_port() -> int:
    """A loopback port free now and never handed out before by this process: stacks started
    side by side (the fault matrix's lanes, in threads) each bind theirs a little later, and
    the kernel may offer a port it just offered another lane."""
    with _HANDED_OUT_LOCK:
        while True:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = int(s.getsockname()[1])
            if port not in _HANDED_OUT:
                _HANDED_OUT.add(port)
                return port


@dataclass
class Proc:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # Logs name operators, sessions and keys' ids: readable by the owner and group only.
        fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, LOG_FILE_MODE)
        os.chmod(self.log_path, LOG_FILE_MODE)  # a file left by an earlier run, too
        with os.fdopen(fd, "ab") as log:
            # Own process group: Ctrl-C in the terminal reaches the launcher only, which
            # then stops each child in order (worker before Temporal, ...).
            self.popen = subprocess.Popen(
                self.argv,
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def check_alive(self) -> None:
        if self.popen is not None and self.popen.poll() is not None:
            tail = self.log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{self.name} exited with {self.popen.returncode}:\n{tail}")

    def stop(self, timeout_s: float = 15.0) -> None:
        if not self.alive:
            return
        assert self.popen is not None
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        if self.alive:
            assert self.popen is not None
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(timeout=10)


def spawn(
    name: str, argv: Sequence[str], env: Mapping[str, str], log_dir: Path, port: int | None = None
) -> Proc:
    suffix = f"-{port}" if port else ""
    return Proc(name, list(argv), dict(env), log_dir / f"{name}{suffix}.log").start()


def wait_until(probe: object, what: str, proc: Proc | None, timeout_s: float = 60.0) -> None:
    """Call `probe()` until it returns truthy (exceptions count as not yet)."""
    assert callable(probe)
    deadline = time.monotonic() + timeout_s
    last: object = None
    while time.monotonic() < deadline:
        if proc is not None:
            proc.check_alive()
        try:
            if probe():
                return
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(0.1)
    raise TimeoutError(f"{what} not ready after {timeout_s}s: {last}")


def http_ok(url: str) -> bool:
    return httpx.get(url, timeout=2.0).status_code < 500


def tcp_open(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1.0):
        return True


def base_env() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1"}
