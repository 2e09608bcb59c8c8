"""In-memory entities: the simulated car and charge."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

ACTIVE = ("starting", "charging", "paused", "stopping")
ENDED = ("stopped", "releasing", "released", "completed")


@dataclass
class Car:
    """How the next car at a charge point behaves. kWh values are energy in this session."""

    never_plug: bool = False
    plug_delay_s: float | None = None
    battery_kwh: float = 80.0  # energy the car takes until full (then `paused`)
    start_soc: float = 20.0
    unplug_after_kwh: float | None = None
    pause_after_kwh: float | None = None
    pause_for_s: float = 0.0
    fail_after_kwh: float | None = None
    # Emulated seconds the car stays plugged in once energy stopped for good (full, or the
    # charge stopped), then the driver unplugs. None: it leaves as soon as the charge ends.
    stay_plugged_s: float | None = None


@dataclass
class Charge:
    id: int
    operator: str
    client_id: str
    charge_point_id: int
    paying_team_id: int
    price_group_id: int
    currency: str
    created_at: float
    car: Car
    kwh_limit: Decimal | None = None
    soc_limit: Decimal | None = None
    price_limit_minor: Decimal | None = None  # gross, minor units
    generic_payment_session: dict[str, Any] | None = None
    partner_external_id: str | None = None
    partner_custom_payload: dict[str, Any] | None = None
    state: str = "starting"
    updated_at: float = 0.0
    cable_plugged_in_at: float | None = None
    started_at: float | None = None
    stopped_at: float | None = None
    fully_charged_at: float | None = None
    released_at: float | None = None
    failed_at: float | None = None
    timeout_at: float | None = None
    completed_at: float | None = None
    failure_reason: str | None = None
    stop_reason: str | None = None
    # physics (internal, continuously integrated)
    kwh: Decimal = Decimal(0)
    charging_s: Decimal = Decimal(0)  # emulated seconds the session ran (minute fee)
    idle_s: Decimal = Decimal(0)  # emulated idle seconds after energy stopped (idle fee)
    last_tick: float = 0.0
    stopping_until: float | None = None
    flow_while_stopping: bool = False
    resume_at: float | None = None
    pause_done: bool = False
    unplugged: bool = False
    power_kw: float = 0.0
    # what clients see: refreshed on each meter reading and state change
    seen_kwh: Decimal = Decimal(0)
    seen_price_minor: Decimal = Decimal(0)
    next_meter_at: float | None = None
    kwh_per_hour: dict[int, Decimal] = field(default_factory=dict)
    # ground truth
    states: list[dict[str, Any]] = field(default_factory=list)
    meter: list[dict[str, Any]] = field(default_factory=list)
    stop_requests: list[float] = field(default_factory=list)
    kwh_limit_crossed_at: float | None = None
    webhook_deliveries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def soc(self) -> float:
        pct = self.car.start_soc + (100 - self.car.start_soc) * float(self.kwh) / max(
            self.car.battery_kwh, 1e-9
        )
        return min(100.0, pct)
