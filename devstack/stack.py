"""The whole embedded stack as processes: Temporal dev server (SQLite under the data dir,
search attributes registered, retention above the terminals' retry horizon), the Monta and
acquirer emulators, the worker and the API, with each operator's webhook registered.

Used by `make dev` (fixed ports) and by the integration tests (free ports, via
tests/api/stack.py). Ctrl-C / `stop()` stops the children in reverse order.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import TracebackType

from devstack.envfile import REPO, read_env_file
from devstack.ingress import start_nginx
from devstack.procs import Proc, base_env, free_port, http_ok, spawn, tcp_open, wait_until
from devstack.stack_config import StackConfig, StackPorts
from workflows.search_attributes import dev_server_flags

BIN = Path(sys.executable).parent
__all__ = ["BIN", "Stack", "StackConfig", "StackPorts"]
# The dev server's SQLite defaults to a rollback journal with a full sync per commit; every
# workflow task, signal and timer is a commit. WAL with normal sync survives a crash of the
# server process (not of the machine: this is the development stack) and costs the server
# far less CPU per commit (docs/performance.md).
SQLITE_PRAGMAS = ["--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"]


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.procs: dict[str, Proc] = {}
        self._api_ports: dict[int, tuple[int, int]] = {}  # replica -> (port, metrics port)

    # ------------------------------------------------------------------ addresses
    @property
    def ports(self) -> StackPorts:
        return self.config.ports

    @property
    def temporal_address(self) -> str:
        return f"127.0.0.1:{self.ports.temporal}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.api}"

    @property
    def api_metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.api_metrics}/metrics"

    @property
    def monta_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.monta}"

    @property
    def payments_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.payments}"

    @property
    def api_metrics_urls(self) -> list[str]:
        """Each API replica's /metrics (each counts only its own requests), in replica
        order; a single API without ingress serves the stack's own metrics port."""
        if not self._api_ports:
            return [self.api_metrics_url]
        return [f"http://127.0.0.1:{m}/metrics" for _, (_, m) in sorted(self._api_ports.items())]

    @property
    def temporal_metrics_url(self) -> str | None:
        port = self.config.temporal_metrics_port
        return None if port is None else f"http://127.0.0.1:{port}/metrics"

    @property
    def temporal_ui_url(self) -> str | None:
        return None if self.config.headless_ui else f"http://127.0.0.1:{self.ports.temporal_ui}"

    @property
    def api_names(self) -> list[str]:
        """Process names: `api`, then `api-2`, ... for each further API process."""
        n = max(1, self.config.api_processes)
        return ["api", *(f"api-{i}" for i in range(2, n + 1))]

    def _api_env(self, index: int) -> dict[str, str]:
        """The first replica serves the stack's API (or, behind nginx, replica) and metrics
        ports; each further one ports of its own."""
        if not self.config.ingress and index == 0:
            return self.chargepay_env()
        if index not in self._api_ports:
            metrics = self.ports.api_metrics if index == 0 else free_port()
            self._api_ports[index] = (free_port(), metrics)
        port, metrics = self._api_ports[index]
        env = {"CHARGEPAY_API_PORT": str(port), "CHARGEPAY_API_METRICS_PORT": str(metrics)}
        if self.config.ingress:
            env["CHARGEPAY_API_TRUSTED_PROXIES"] = "127.0.0.1"  # nginx, and only nginx
        return {**self.chargepay_env(), **env}

    def _codec_env(self) -> dict[str, str]:
        c = self.config
        if not c.codec_keys:
            return {}
        return {
            "CHARGEPAY_CODEC_KEYS": c.codec_keys,
            "CHARGEPAY_CODEC_AUTH_TOKEN": c.codec_token,
            "CHARGEPAY_CODEC_CORS_ORIGINS": self.temporal_ui_url or "",
        }

    @property
    def dev_codec_url(self) -> str | None:
        """The dev UI's codec endpoint; None without encryption or without a UI."""
        if not self.config.codec_keys or self.temporal_ui_url is None:
            return None
        return f"http://127.0.0.1:{self.ports.dev_codec}/codec"

    def chargepay_env(self) -> dict[str, str]:
        """`.env.example` as defaults, the environment over it, the stack's wiring on top."""
        c = self.config
        return {
            **read_env_file(),
            **base_env(),
            "TIME_SCALE": str(c.time_scale),
            "CHARGEPAY_TEMPORAL_ADDRESS": self.temporal_address,
            "CHARGEPAY_SESSION_TASK_QUEUE": c.task_queue,
            "CHARGEPAY_BACKGROUND_TASK_QUEUE": c.background_task_queue,
            "CHARGEPAY_MONTA_BASE_URL": self.monta_url,
            "CHARGEPAY_PAYMENTS_BASE_URL": self.payments_url,
            "CHARGEPAY_PAYMENTS_ADAPTER": "emulator",
            "CHARGEPAY_TERMINAL_KEYS_FILE": str(c.keys_file),
            "CHARGEPAY_OPERATOR_KEYS_FILE": str(c.operator_keys_file),
            "CHARGEPAY_LEDGER_URL": f"sqlite:///{c.data_dir / 'ledger.sqlite3'}",
            "CHARGEPAY_API_PORT": str(self.ports.api),
            "CHARGEPAY_API_METRICS_PORT": str(self.ports.api_metrics),
            **self._codec_env(),
            **c.env,
        }

    # ------------------------------------------------------------------ Temporal
    def start_temporal(self) -> None:
        c = self.config
        c.data_dir.mkdir(parents=True, exist_ok=True)
        ui = ["--headless"] if c.headless_ui else ["--ui-port", str(self.ports.temporal_ui)]
        port = c.temporal_metrics_port
        metrics = [] if port is None else ["--metrics-port", str(port)]
        codec = [] if self.dev_codec_url is None else ["--ui-codec-endpoint", self.dev_codec_url]
        argv = [
            str(BIN / "temporal"), "server", "start-dev",
            "--db-filename", str(c.data_dir / "temporal.sqlite"),
            "--ip", "127.0.0.1",
            "--port", str(self.ports.temporal),
            "--log-level", "warn",
            *SQLITE_PRAGMAS,
            *ui,
            *codec,
            *metrics,
            *dev_server_flags(),
        ]  # fmt: skip
        proc = spawn("temporal", argv, base_env(), c.log_dir, self.ports.temporal)
        self.procs["temporal"] = proc
        wait_until(lambda: tcp_open(self.ports.temporal), "Temporal", proc)
        wait_until(self._set_retention, "Temporal namespace", proc)

    def _set_retention(self) -> bool:
        argv = [
            str(BIN / "temporal"), "operator", "namespace", "update",
            "--namespace", "default",
            "--retention", self.config.retention,
            "--address", self.temporal_address,
        ]  # fmt: skip
        done = subprocess.run(argv, capture_output=True, timeout=30, check=False)
        return done.returncode == 0

    def stop_temporal(self) -> None:
        proc = self.procs.pop("temporal", None)
        if proc is not None:
            proc.stop()

    # ------------------------------------------------------------------ chargepay + emulators
    def _python(self, name: str, args: list[str], env: dict[str, str], port: int | None) -> Proc:
        proc = spawn(name, [sys.executable, *args], env, self.config.log_dir, port)
        self.procs[name] = proc
        return proc

    def start_emulators(self) -> None:
        c = self.config
        env = {**base_env(), "TIME_SCALE": str(c.time_scale)}
        monta = self._python(
            "monta-emulator",
            ["-m", "emulators.monta", "--port", str(self.ports.monta)],
            {**env, **c.monta_env},
            self.ports.monta,
        )
        pay = self._python(
            "acquirer-emulator",
            ["-m", "emulators.payments", "--port", str(self.ports.payments)],
            {**env, **c.payments_env},
            self.ports.payments,
        )
        wait_until(lambda: http_ok(f"{self.monta_url}/_emulator/health"), "Monta emulator", monta)
        wait_until(lambda: http_ok(f"{self.payments_url}/_emulator/health"), "acquirer", pay)

    @property
    def worker_names(self) -> list[str]:
        """Process names: `worker`, then `worker-2`, ... for each further worker process."""
        n = max(1, self.config.worker_processes)
        return ["worker", *(f"worker-{i}" for i in range(2, n + 1))]

    def start_worker(self) -> None:
        """Start each worker process that is not running (all of them on a fresh stack)."""
        script = self.config.worker_script
        if not script.exists():
            raise RuntimeError(f"{script} is missing: the session worker cannot start")
        for name in self.worker_names:
            proc = self.procs.get(name)
            if proc is None or not proc.alive:
                self._python(name, [str(script)], self.chargepay_env(), None)

    def stop_worker(self) -> None:
        for name in self.worker_names:
            proc = self.procs.pop(name, None)
            if proc is not None:
                proc.stop()

    def start_api(self) -> None:
        """Start each API process that is not running, then nginx in front when asked."""
        for index, name in enumerate(self.api_names):
            proc = self.procs.get(name)
            if proc is not None and proc.alive:
                continue
            env = self._api_env(index)
            port = int(env["CHARGEPAY_API_PORT"])
            proc = self._python(name, ["-m", "api", "--port", str(port)], env, port)
            health = f"http://127.0.0.1:{port}/healthz"
            wait_until(lambda url=health: http_ok(url), name, proc)
        if self.config.ingress and not (self.procs.get("nginx") and self.procs["nginx"].alive):
            replicas = [self._api_ports[i][0] for i in range(len(self.api_names))]
            self.procs["nginx"] = start_nginx(
                self.config.data_dir / "nginx",
                self.config.log_dir,
                self.ports.api,
                replicas,
                self.config.ingress_rate,
            )
        wait_until(lambda: http_ok(f"{self.api_url}/healthz"), "API", self.procs.get("nginx"))

    def start_dev_codec(self) -> None:
        """The UI's codec endpoint (codec/dev_listener.py), when payloads are encrypted."""
        if self.dev_codec_url is None:
            return
        port = self.ports.dev_codec
        args = ["-m", "codec.dev_listener", "--port", str(port)]
        proc = self._python("dev-codec", args, self.chargepay_env(), port)
        wait_until(lambda: tcp_open(port), "dev codec listener", proc)

    def register_webhooks(self) -> str:
        """`python -m api.webhooks.register` against the emulator, as in production."""
        done = subprocess.run(
            [sys.executable, "-m", "api.webhooks.register", "--public-url", self.api_url],
            cwd=REPO,
            env=self.chargepay_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"webhook registration failed: {done.stderr or done.stdout}")
        return done.stdout

    # ------------------------------------------------------------------ whole stack
    def start(self) -> Stack:
        try:
            self.start_temporal()
            self.start_emulators()
            self.start_worker()
            self.start_api()
            self.start_dev_codec()
            self.register_webhooks()
            self.check_alive()
        except BaseException:
            self.stop()
            raise
        return self

    def check_alive(self) -> None:
        for proc in self.procs.values():
            proc.check_alive()

    def stop(self) -> None:
        names = ("nginx", "dev-codec", *self.api_names, *self.worker_names)
        for name in (*names, "monta-emulator", "acquirer-emulator", "temporal"):
            proc = self.procs.pop(name, None)
            if proc is not None:
                proc.stop()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
