"""The `killed` fault kind: SIGKILL the worker while the faulted step is in flight (its
request held by a `slow` rule shorter than the client's deadline), then start it again."""

from __future__ import annotations

import threading
import time
from typing import Literal

import httpx

from tests.api.stack import RunningStack

POLL_S = 0.02


def rule_fired(stack: RunningStack, system: Literal["monta", "acquirer"]) -> bool:
    """Whether the first fault rule of `system` has fired (the step's request arrived)."""
    s = stack.stack
    url = s.monta_url if system == "monta" else s.payments_url
    body = httpx.get(f"{url}/_emulator/faults", timeout=10).json()
    rules = body["http"] if system == "monta" else body["rules"]
    return bool(rules) and int(rules[0]["fired"]) > 0


class WorkerKiller(threading.Thread):
    """Kills the worker once the step's request arrived; `killed_at` says whether it did."""

    def __init__(self, stack: RunningStack, system: Literal["monta", "acquirer"]) -> None:
        super().__init__(name="fault-killer", daemon=True)
        self.stack = stack
        self.system = system
        self.killed_at: float | None = None
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            if rule_fired(self.stack, self.system):
                proc = self.stack.stack.procs["worker"]
                proc.kill()
                self.killed_at = time.time()
                self.stack.stack.start_worker()
                return
            time.sleep(POLL_S)

    def finish(self) -> None:
        self._done.set()
        self.join(timeout=30)
