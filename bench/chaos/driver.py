"""The fault driver: plays the seeded timeline against the running stack, logging each step.

Process control (SIGKILL + restart of the worker and the API, a restart of the Temporal dev
server on the same SQLite file) goes through `devstack.stack.Stack`; emulator faults through
their `/_emulator/faults` control endpoints. A watchdog restarts any chargepay process that
died on its own and logs it as `unexpected_exit` (a finding, not a planned fault).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from bench.chaos.eventlog import EventLog
from bench.chaos.schedule import FaultEvent, monta_spec
from devstack.stack import Stack

CONTROL_TIMEOUT_S = 10.0
MONTA_CLEAR: dict[str, Any] = {"http": [], "webhooks": {"enabled": False}}
ACQUIRER_CLEAR: dict[str, Any] = {"rules": []}
RESTARTABLE = ("worker", "api")


class FaultDriver:
    def __init__(self, stack: Stack, log: EventLog, http: httpx.AsyncClient) -> None:
        self.stack = stack
        self.log = log
        self.http = http
        self.blackout = False
        self.cleared = False
        self.burst = False
        self._monta_lock = asyncio.Lock()
        self._lift: asyncio.Task[None] | None = None
        self.acquirer_seed = 0
        self._procs = asyncio.Lock()  # one process operation at a time
        self._kills: dict[str, int] = {}  # kind -> kills so far
        self.emulator_counters: dict[str, Any] = {}

    # ------------------------------------------------------------------ timeline
    async def play(self, schedule: list[FaultEvent]) -> None:
        """Each event at its instant, in its own task: a slow restart (the API takes seconds
        to come up) does not delay the webhook blackout. Process events take turns (lock).
        The final `clear_faults` waits for every earlier event to be done."""
        running: list[asyncio.Task[None]] = []
        for event in schedule:
            delay = event.at_s - self.log.elapsed()
            if delay > 0:
                await asyncio.sleep(delay)
            if event.kind == "clear_faults":
                await asyncio.gather(*running)
            running.append(asyncio.create_task(self._apply_logged(event)))
        await asyncio.gather(*running)

    async def _apply_logged(self, event: FaultEvent) -> None:
        try:
            await self.apply(event)
        except Exception as exc:  # a fault that could not be applied is logged, not fatal
            self.log.write("driver_error", event=event.kind, error=repr(exc))

    async def apply(self, event: FaultEvent) -> None:
        args = event.args
        if event.kind == "kill_worker":
            await self._kill_restart("worker", self.stack.start_worker, args["down_s"])
        elif event.kind == "kill_api":
            await self._kill_restart("api", self.stack.start_api, args["down_s"])
        elif event.kind == "restart_temporal":
            await self._restart_temporal()
        elif event.kind == "monta_faults":
            await self._monta(args)
        elif event.kind == "acquirer_faults":
            await self._put(f"{self.stack.payments_url}/_emulator/faults", args["spec"])
            self.log.write("acquirer_faults", spec=args["spec"])
        elif event.kind == "clear_faults":
            await self.clear()
        else:
            raise ValueError(f"unknown fault event {event.kind}")

    # ------------------------------------------------------------------ processes
    def _next_replica(self, kind: str) -> str:
        """Each kill takes the next replica of its kind in turn, so every one is killed."""
        names = self.stack.worker_names if kind == "worker" else self.stack.api_names
        turn = self._kills.get(kind, 0)
        self._kills[kind] = turn + 1
        return names[turn % len(names)]

    async def _kill_restart(self, kind: str, start: Callable[[], None], down_s: float) -> None:
        async with self._procs:
            name = self._next_replica(kind)
            proc = self.stack.procs.get(name)
            pid = proc.popen.pid if proc and proc.popen else None
            if proc is not None:
                await asyncio.to_thread(proc.kill)  # SIGKILL: no clean shutdown
            self.log.write(f"kill_{kind}", replica=name, pid=pid, signal="SIGKILL")
            await asyncio.sleep(down_s)
            await asyncio.to_thread(start)
            self.log.write(f"restart_{kind}", replica=name, pid=self._pid(name))

    async def _restart_temporal(self) -> None:
        async with self._procs:
            self.log.write("stop_temporal", pid=self._pid("temporal"))
            await asyncio.to_thread(self.stack.stop_temporal)
            await asyncio.to_thread(self.stack.start_temporal)  # same SQLite file
            self.log.write("restart_temporal", pid=self._pid("temporal"))

    def _pid(self, name: str) -> int | None:
        proc = self.stack.procs.get(name)
        return proc.popen.pid if proc and proc.popen else None

    async def watchdog(self, stop: asyncio.Event) -> None:
        """Restart a chargepay process that exited without being killed by the driver."""
        starts = {"worker": self.stack.start_worker, "api": self.stack.start_api}
        while not stop.is_set():
            await self.revive(starts)
            try:
                await asyncio.wait_for(stop.wait(), timeout=1.0)
            except TimeoutError:
                pass

    async def revive(self, starts: dict[str, Callable[[], None]] | None = None) -> None:
        starts = starts or {"worker": self.stack.start_worker, "api": self.stack.start_api}
        async with self._procs:
            for name in RESTARTABLE:
                proc = self.stack.procs.get(name)
                if proc is None or proc.alive:
                    continue
                code = proc.popen.returncode if proc.popen else None
                tail = proc.log_path.read_text(errors="replace")[-600:]
                self.log.write("unexpected_exit", process=name, returncode=code, log_tail=tail)
                try:
                    await asyncio.to_thread(starts[name])
                    self.log.write(f"restart_{name}", pid=self._pid(name), after="exit")
                except Exception as exc:
                    self.log.write("driver_error", event=f"revive_{name}", error=repr(exc))

    # ------------------------------------------------------------------ emulators
    async def _monta(self, args: dict[str, Any]) -> None:
        if "blackout" in args:
            self.blackout = bool(args["blackout"])
            self.log.write("webhook_blackout_on" if self.blackout else "webhook_blackout_off")
        burst_s = float(args.get("burst_429_s", 0.0))
        if burst_s > 0:
            self.burst = True
            self.log.write("burst_429", seconds=burst_s)
            self._lift = asyncio.create_task(self._lift_burst(args["seed"] + 1, burst_s))
        await self._put_monta(args["seed"])

    async def _lift_burst(self, seed: int, after_s: float) -> None:
        await asyncio.sleep(after_s)
        self.burst = False
        await self._put_monta(seed)
        self.log.write("burst_429_over")

    async def _put_monta(self, seed: int) -> None:
        """The whole spec from the current state, one PUT at a time (the last one wins)."""
        async with self._monta_lock:
            if self.cleared:
                return
            spec = monta_spec(seed, burst_429=self.burst, blackout=self.blackout)
            await self._put(f"{self.stack.monta_url}/_emulator/faults", spec)
            self.log.write("monta_faults", spec=spec)

    async def _put(self, url: str, body: dict[str, Any]) -> None:
        resp = await self.http.put(url, json=body, timeout=CONTROL_TIMEOUT_S)
        resp.raise_for_status()

    async def counters(self) -> dict[str, Any]:
        """What the emulators say fired (read before the faults are cleared)."""
        monta = await self.http.get(f"{self.stack.monta_url}/_emulator/faults")
        acquirer = await self.http.get(f"{self.stack.payments_url}/_emulator/faults")
        return {"monta": monta.json().get("fired", {}), "acquirer": acquirer.json()}

    async def clear(self) -> None:
        async with self._monta_lock:
            self.cleared = True
        try:
            self.emulator_counters = await self.counters()
        except httpx.HTTPError as exc:
            self.log.write("driver_error", event="counters", error=repr(exc))
        await self._put(f"{self.stack.monta_url}/_emulator/faults", MONTA_CLEAR)
        await self._put(f"{self.stack.payments_url}/_emulator/faults", ACQUIRER_CLEAR)
        self.log.write("clear_faults", counters=self.emulator_counters)
