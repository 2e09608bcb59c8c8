"""All emulator state in one place: seed, tokens, charges, wallet, webhooks, faults, truth."""

from __future__ import annotations

import itertools
import time
from decimal import Decimal
from typing import Any

from emulators.monta import serialize
from emulators.monta.auth import TokenStore
from emulators.monta.config import EmuConfig
from emulators.monta.faults import Faults
from emulators.monta.model import Car, Charge
from emulators.monta.physics import Physics
from emulators.monta.pricing import to_wire
from emulators.monta.ratelimit import RateLimiter
from emulators.monta.seed import (
    ChargePointSeed,
    PriceGroupSeed,
    Seed,
    load_seed,
    with_extra_points,
)
from emulators.monta.wallet import charge_transaction
from emulators.monta.webhooks import Webhooks

MAX_REQUEST_LOG = 200_000


def now() -> float:
    return time.time()


class World:
    def __init__(self, cfg: EmuConfig) -> None:
        self.cfg = cfg
        self.faults = Faults(cfg.rng_seed)
        self.webhooks = Webhooks(
            interval_wall=max(0.05, cfg.wall(cfg.webhook_interval_s)),
            max_age_wall=cfg.wall(cfg.webhook_max_age_s),
            batch_size=cfg.webhook_batch_size,
            faults=self.faults,
        )
        self.physics = Physics(cfg, self.point, self.price_group, self.publish)
        self._charge_ids = itertools.count(10_001)  # never reused, not even across resets
        self._tx_ids = itertools.count(50_001)
        self.reset()

    def reset(self) -> None:
        self.seed: Seed = with_extra_points(load_seed(self.cfg.seed_path), self.cfg.extra_points)
        self.points = {p.id: p for p in self.seed.chargePoints}
        self.groups = {g.id: g for g in self.seed.priceGroups}
        self.tokens = TokenStore(self.seed.credentials)
        self.limiter = RateLimiter(self.cfg.rate_limit, self.cfg.rate_window_s, self.cfg.time_scale)
        self.faults.set(type(self.faults.spec)(seed=self.cfg.rng_seed))
        self.faults.fired.clear()
        self.webhooks.clear()
        self.charges: dict[int, Charge] = {}
        self.active: dict[int, Charge] = {}
        self.on_point: dict[int, Charge] = {}  # the charge holding each point
        self.point_state: dict[int, str] = {p.id: p.state for p in self.seed.chargePoints}
        self.point_updated: dict[int, float] = {
            p.id: serialize.SEED_CREATED_AT for p in self.points.values()
        }
        self.next_car: dict[int, Car] = {}
        self.wallet: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []

    # -- lookups ------------------------------------------------------------------------
    def point(self, point_id: int) -> ChargePointSeed:
        return self.points[point_id]

    def price_group(self, group_id: int) -> PriceGroupSeed:
        return self.groups[group_id]

    def occupant(self, point_id: int) -> Charge | None:
        """The charge holding the point (until its cable is released or it completes)."""
        return self.on_point.get(point_id)

    def monta_point_state(self, point_id: int) -> str:
        manual = self.point_state[point_id]
        if manual == "offline":
            return "disconnected"
        if manual == "busy":
            return "busy"
        c = self.occupant(point_id)
        if c is None:
            return "available"
        if c.state in ("charging", "starting"):
            return "busy-charging"
        if c.state in ("stopped", "releasing"):
            return "busy-non-released"
        return "busy-non-charging"

    def point_json(self, p: ChargePointSeed) -> dict[str, Any]:
        c = self.occupant(p.id)
        plugged = c is not None and c.cable_plugged_in_at is not None and not c.unplugged
        updated = max(self.point_updated[p.id], c.updated_at if c else 0.0)
        return serialize.charge_point(self.seed, p, self.monta_point_state(p.id), plugged, updated)

    def charge_json(self, c: Charge) -> dict[str, Any]:
        return serialize.charge(
            self.seed, c, self.point(c.charge_point_id), self.cfg.money_unit, self.cfg.time_scale
        )

    # -- charges ------------------------------------------------------------------------
    def create_charge(self, client_id: str, operator: str, t: float, **fields: Any) -> Charge:
        point = self.point(fields["charge_point_id"])
        group = self.price_group(fields.get("price_group_id") or point.priceGroupId)
        fields["price_group_id"] = group.id
        car = self.next_car.pop(point.id, None) or Car()
        c = Charge(
            id=next(self._charge_ids),
            operator=operator,
            client_id=client_id,
            currency=group.currency,
            created_at=t,
            car=car,
            updated_at=t,
            last_tick=t,
            **fields,
        )
        c.states.append({"t": t, "state": c.state})
        self.charges[c.id] = c
        self.active[c.id] = c
        self.on_point[point.id] = c
        self.webhooks.enqueue(operator, c.id, "created", self.charge_json(c), t)
        return c

    def publish(self, c: Charge, t: float, state_changed: bool) -> None:
        """Refresh what clients see (meter reading / state change) and notify webhooks."""
        price = self.physics.gross_price(c)
        kwh_changed = c.kwh != c.seen_kwh
        if not (state_changed or kwh_changed or price != c.seen_price_minor):
            return
        c.seen_kwh, c.seen_price_minor, c.updated_at = c.kwh, price, t
        c.meter.append(
            {"t": t, "kwh": float(c.kwh), "price": to_wire(price, c.currency, self.cfg.money_unit)}
        )
        if c.state in ("released", "completed") and self.on_point.get(c.charge_point_id) is c:
            del self.on_point[c.charge_point_id]
        if c.state == "completed":
            self.active.pop(c.id, None)
            self.point_updated[c.charge_point_id] = t
            if c.seen_price_minor > 0:
                self.wallet.append(self._wallet_tx(c, t))
        if state_changed or kwh_changed:
            self.webhooks.enqueue(c.operator, c.id, "updated", self.charge_json(c), t)

    def _wallet_tx(self, c: Charge, t: float) -> dict[str, Any]:
        group = self.price_group(c.price_group_id)
        return charge_transaction(
            tx_id=next(self._tx_ids),
            seed=self.seed,
            charge=c,
            vat_percent=group.vatPercent,
            unit=self.cfg.money_unit,
            t=t,
        )

    def tick(self, t: float) -> None:
        for c in list(self.active.values()):
            self.physics.advance(c, t)

    # -- ground truth -------------------------------------------------------------------
    def log_request(self, entry: dict[str, Any]) -> None:
        self.requests.append(entry)
        if len(self.requests) > MAX_REQUEST_LOG:
            del self.requests[: MAX_REQUEST_LOG // 10]

    def truth(self, since: float = 0.0) -> dict[str, Any]:
        unit = self.cfg.money_unit
        charges = []
        for c in self.charges.values():
            if c.updated_at < since and c.state == "completed":
                continue
            charges.append(
                {
                    "id": c.id,
                    "operator": c.operator,
                    "chargePointId": c.charge_point_id,
                    "partnerExternalId": c.partner_external_id,
                    "kwhLimit": None if c.kwh_limit is None else float(c.kwh_limit),
                    "priceLimit": (
                        None
                        if c.price_limit_minor is None
                        else to_wire(c.price_limit_minor, c.currency, unit)
                    ),
                    "state": c.state,
                    "consumedKwh": float(c.kwh),
                    "price": to_wire(self.physics.gross_price(c), c.currency, unit),
                    "currency": c.currency,
                    "created_at": c.created_at,
                    "states": c.states,
                    "meter": c.meter,
                    "stop_requests": c.stop_requests,
                    "kwh_limit_crossed_at": c.kwh_limit_crossed_at,
                    "webhook_deliveries": self.webhooks.charge_log.get(c.id, []),
                    "completed_at": c.completed_at,
                    "fully_charged_at": c.fully_charged_at,
                    "released_at": c.released_at,
                    "failed_at": c.failed_at,
                    "timeout_at": c.timeout_at,
                }
            )
        return {
            "now": now(),
            "time_scale": self.cfg.time_scale,
            "requests": [r for r in self.requests if r["t"] >= since],
            "charges": charges,
            "webhook_batches": [b for b in self.webhooks.batches if b["t"] >= since],
            "webhook_dropped": self.webhooks.dropped,
            "rate": self.limiter.truth(),
            "faults_fired": dict(self.faults.fired),
        }


def decimal_or_none(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))
