"""Every knob chargepay reads, from the environment (prefix CHARGEPAY_) or `.env`.

Durations are real-world seconds; `TIME_SCALE` divides them into wall-clock seconds so
tests and benchmarks can run a 48 h hold or a 40 kWh charge in seconds (see core/clock.py).
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.clock import Clock
from core.worker_options import DEFAULT_MAX_POLLERS
from receipts.links import parse_secrets
from workflows.contracts import SessionConfig

_SESSION = SessionConfig()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CHARGEPAY_", env_file=".env", extra="ignore", frozen=True
    )

    # One clock: production 1; tests and benchmarks speed every duration up by this factor.
    time_scale: float = Field(default=1.0, gt=0, validation_alias="TIME_SCALE")

    # Temporal
    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    # Most workflow/activity polls per worker and queue (autoscaled: core/worker_options.py)
    worker_max_pollers: int = Field(default=DEFAULT_MAX_POLLERS, ge=2, le=500)
    # Run workflow code in the SDK's sandbox (CPU per workflow task: core/worker_options.py)
    workflow_sandbox: bool = True
    session_task_queue: str = "chargepay-sessions"
    # The watcher and reconciliation workflows: long-running, they follow the current worker
    # version while sessions stay on theirs (docs/upgrades.md).
    background_task_queue: str = "chargepay-background"
    # Worker Deployment Versioning: every worker runs as `<name>.<build id>` (no dot in the
    # name). An empty build id is a digest of the workflow code (worker.py), so changed
    # workflow code is a new version by itself.
    worker_deployment_name: str = Field(default="chargepay", pattern=r"^[^.]+$")
    worker_build_id: str = ""
    # At start, make this worker's version current unless another version replaced it
    # (off: a controlled rollout promotes it with `python -m worker_version promote`).
    worker_make_current: bool = True

    # Operators: a TOML file; secrets come from the env vars it names.
    operators_file: Path = Path("config/operators.toml")

    # Monta Partner API
    monta_base_url: str = "https://partner-api.monta.com"
    monta_version: str = "v1"
    # Monta's material disagrees on whether `price`/`priceLimit` are major or minor units.
    monta_money_unit: Literal["major", "minor"] = "major"
    # VAT for operators whose entry in the operators file names no `vat_rate` (0.25 = 25 %).
    default_vat_rate: Decimal = Field(default=Decimal("0.25"), ge=0, lt=1)
    monta_timeout_s: float = 10.0
    monta_token_refresh_margin_s: float = 120.0

    # Payments
    payments_adapter: Literal["emulator", "stripe"] = "emulator"
    payments_base_url: str = "http://127.0.0.1:8102"
    payments_timeout_s: float = 10.0
    stripe_api_key: str = ""
    stripe_api_base: str = "https://api.stripe.com"

    # Session behaviour (real-world seconds; divided by time_scale for timers). The defaults
    # are SessionConfig's, the model each session freezes (api/session_config.py).
    start_timeout_s: float = _SESSION.start_timeout_s
    paused_timeout_s: float = _SESSION.paused_timeout_s
    stop_delivery_latency_s: float = _SESSION.stop_delivery_latency_s
    capture_margin_s: float = _SESSION.capture_margin_s
    settle_timeout_s: float = _SESSION.settle_timeout_s
    expected_power_kw: Decimal = _SESSION.expected_power_kw
    budget_safety_margin: Decimal = _SESSION.budget_safety_margin
    idle_reserve_minutes: int = Field(default=_SESSION.idle_reserve_minutes, ge=0)
    idle_watch_max_s: float = Field(default=_SESSION.idle_watch_max_s, gt=0)
    idle_release_wait_s: float = Field(default=_SESSION.idle_release_wait_s, ge=0)
    price_tolerance_ratio: Decimal = _SESSION.price_tolerance_ratio
    price_tolerance_minor: int = _SESSION.price_tolerance_minor
    payment_verify_deadline_s: float = Field(default=_SESSION.payment_verify_deadline_s, gt=0)
    payment_retry_window_s: float = Field(default=_SESSION.payment_retry_window_s, gt=0)
    payment_retry_interval_s: float = Field(default=_SESSION.payment_retry_interval_s, gt=0)
    stop_retry_interval_s: float = Field(default=_SESSION.stop_retry_interval_s, gt=0)
    start_lookup_interval_s: float = Field(default=_SESSION.start_lookup_interval_s, gt=0)
    charge_silence_check_s: float = Field(default=_SESSION.charge_silence_check_s, gt=0)
    completed_watch_limit_s: float = Field(default=_SESSION.completed_watch_limit_s, gt=0)
    # Incremental authorization, for operators with `increment_ceiling_minor` set
    # (docs/increments.md): the lead must cover `view_max_lag_s` plus the acquirer's answer.
    increment_lead_s: float = Field(default=_SESSION.increment_lead_s, gt=0)
    increment_horizon_s: float = Field(default=_SESSION.increment_horizon_s, gt=0)
    increment_min_minor: int = Field(default=_SESSION.increment_min_minor, ge=1)
    increment_step_minor: int = Field(default=_SESSION.increment_step_minor, ge=1)
    increment_timeout_s: float = Field(default=_SESSION.increment_timeout_s, gt=0)

    # Monta rate budget (per credential; see workflows/WATCHER.md for the arithmetic)
    monta_rate_headroom: float = Field(default=0.2, ge=0, lt=1)
    # Stops (local activities, outside the rate-limited queue) reserved per rate window:
    # sessions ending per window x (1 + retries).
    monta_stop_reserve: int = Field(default=100, ge=0)

    # Fallback polling watcher (real-world seconds)
    watcher_interval_s: float = 30.0  # webhooks silent or unknown
    watcher_fast_interval_s: float = 10.0  # a session is near its budget
    watcher_slow_interval_s: float = 120.0  # webhooks are flowing
    watcher_overlap_s: float = 30.0  # re-read this much before the newest updatedAt seen
    watcher_webhook_silence_s: float = 120.0  # no webhook for this long: not flowing
    watcher_near_budget_ratio: Decimal = Decimal("0.7")  # consumed / kwhLimit
    watcher_max_pages: int = 50

    # Reconciliation (a Temporal Schedule per operator)
    reconcile_interval_s: float = 3600.0
    reconcile_window_s: float = 24 * 3600.0
    reconcile_auto_void: bool = True  # False: report orphan holds only
    reconcile_hold_grace_s: float = 900.0  # younger open holds may still get a session
    reconcile_report_dir: Path = Path(".data/reconciliation")

    # Ledger (receipts, receipt numbers, refunds): SQLite under .data/ by default, or a
    # PostgreSQL URL (postgresql+psycopg://user:pass@host/db). Migrated by `python -m ledger
    # upgrade` and by the worker at start.
    ledger_url: str = "sqlite:///.data/ledger.sqlite3"
    # Receipt links (the QR code a terminal shows): HMAC key, at least 32 characters; empty
    # disables the links (the JSON receipt still works). Several, comma-separated, while
    # rotating: the first signs, all verify.
    receipt_link_secrets: str = ""
    receipt_link_days: int = Field(default=90, ge=1, le=3650)
    # The public base of receipt links, e.g. https://pay.example.com (default: the request's).
    receipt_link_base_url: str = ""

    # API
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # Proxies whose X-Forwarded-For/-Proto the API believes ("10.0.0.5,10.0.1.0/24"); none
    # by default, so a client cannot name its own address. Set it to the ingress's.
    api_trusted_proxies: str = ""
    # Connections served at once per API process; above it uvicorn answers 503 at once
    # instead of queueing without bound.
    api_limit_concurrency: int = Field(default=1000, gt=0)
    api_start_wait_s: float = 10.0
    # Every other route's body, capped before authentication (api/body_limit.py).
    api_max_body_bytes: int = Field(default=64 * 1024, gt=0)
    webhook_max_body_bytes: int = 2_000_000
    webhook_signal_concurrency: int = 32
    # Coalescing (api/webhooks/coalesce.py): at least one signal per charge per interval (real
    # s), and every update from this share of the charge's kwhLimit on. Sessions keep their
    # soft kWh budget at or above this share (workflows/budget.py lowers kwhLimit if needed),
    # so the readings around the budget are always signalled; the watcher leaves routine
    # readings to the webhooks while they flow.
    webhook_near_cap_ratio: Decimal = Field(default=Decimal("0.9"), gt=0, le=1)
    # How far a session's view (its status, the UI's details) may trail Monta, in charge
    # time: a reading that would leave it further behind is signalled. Default: Monta's
    # meter interval, so every other reading of a 30 s meter is coalesced, none held longer.
    view_max_lag_s: float = Field(default=60.0, gt=0)
    webhook_coalesce_max_charges: int = Field(default=50_000, ge=1)
    terminal_keys_file: Path = Path(".data/terminal_keys.json")
    # Operator (support staff) keys for /v1/operator: a separate file, prefix `opk_`.
    operator_keys_file: Path = Path(".data/operator_keys.json")
    terminal_retry_horizon_s: float = 7 * 24 * 3600.0
    # Namespace retention shorter than the retry horizon at API start-up: log or refuse.
    api_retention_check: Literal["off", "warn", "refuse"] = "warn"

    @field_validator("receipt_link_secrets")
    @classmethod
    def _link_secrets(cls, value: str) -> str:
        parse_secrets(value)  # too short a secret stops the process at start, not a request
        return value

    @property
    def clock(self) -> Clock:
        return Clock(self.time_scale)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
