"""What a stack runs with: its ports and its configuration (devstack/stack.py runs it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from devstack.envfile import REPO
from devstack.procs import free_port

# Closed sessions stay findable for 8 days: longer than the default 7-day retry horizon.
DEFAULT_RETENTION = "192h"


@dataclass(frozen=True)
class StackPorts:
    temporal: int = 7233
    temporal_ui: int = 8233
    monta: int = 8101
    payments: int = 8102
    api: int = 8000
    api_metrics: int = 9463  # the API's /metrics listener, apart from its public port
    dev_codec: int = 8104  # the dev UI's codec listener (codec/dev_listener.py)

    @classmethod
    def free(cls) -> StackPorts:
        return cls(*(free_port() for _ in range(7)))


@dataclass
class StackConfig:
    data_dir: Path
    ports: StackPorts = field(default_factory=StackPorts)
    time_scale: float = 30.0
    task_queue: str = "chargepay-sessions"
    # The watcher's and reconciliation's (docs/upgrades.md).
    background_task_queue: str = "chargepay-background"
    headless_ui: bool = False
    retention: str = DEFAULT_RETENTION
    env: dict[str, str] = field(default_factory=dict)  # extra env for chargepay processes
    monta_env: dict[str, str] = field(default_factory=dict)  # MONTA_EMU_* overrides
    payments_env: dict[str, str] = field(default_factory=dict)
    worker_script: Path = REPO / "worker.py"
    # Python runs one worker's workflow tasks and activities on one core (the GIL); as in
    # production, more worker processes on the same task queues use the other cores.
    worker_processes: int = 1
    # API processes; with `ingress`, nginx (deploy/nginx/) listens on the public API port and
    # spreads requests over them round robin, as in production.
    api_processes: int = 1
    ingress: bool = False
    ingress_rate: str = "10r/s"  # requests per terminal key at the ingress
    # Payload encryption, as in production: worker and API encrypt with these keys, the CLI
    # decodes through the API's /codec with the token, the UI through the dev listener.
    codec_keys: str = ""
    codec_token: str = ""
    # The dev server's own Prometheus metrics (the bench reads them); None: not exposed.
    temporal_metrics_port: int | None = None

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def keys_file(self) -> Path:
        return self.data_dir / "terminal_keys.json"

    @property
    def operator_keys_file(self) -> Path:
        return self.data_dir / "operator_keys.json"
