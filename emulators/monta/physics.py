"""Charge physics and the state machine, advanced by one shared ticker.

starting -> charging <-> paused -> stopping -> stopped -> (releasing -> released) -> completed.
Failures and start timeouts set `failedAt`/`timeoutAt` and end stopped -> completed.

A full car pauses (`fullyChargedAt`) and stays plugged in: idle. A car with `stay_plugged_s`
is unplugged that long after energy stopped for good (full, or the charge stopped). On a
charger with release detection the ended charge waits in `releasing` until the unplug
(`releasedAt`), then completes; without it the charge completes while the car may still be
there and `releasedAt` stays null (Monta's spec: it is only meaningful with release
detection). Monta's idle fee counts idle seconds after the car is full or the charge
stopped, until the unplug; without release detection, until the charge ends.
Energy per wall second = kW x TIME_SCALE / 3600; thresholds are hit exactly (energy is
clamped at the crossing), state changes happen on the first tick past their instant.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from emulators.monta.config import EmuConfig
from emulators.monta.model import Charge
from emulators.monta.pricing import gross, max_kwh_for_gross, net_minor
from emulators.monta.seed import ChargePointSeed, PriceGroupSeed

Publish = Callable[[Charge, float, bool], None]  # (charge, now, state_changed)

_LIMIT_REASONS = ("kwh-limit-reached", "price-limit-reached", "soc-limit-reached")


class Physics:
    def __init__(
        self,
        cfg: EmuConfig,
        point: Callable[[int], ChargePointSeed],
        price_group: Callable[[int], PriceGroupSeed],
        publish: Publish,
    ) -> None:
        self.cfg = cfg
        self.point = point
        self.price_group = price_group
        self.publish = publish

    # -- public transitions -------------------------------------------------------------
    def request_stop(self, c: Charge, now: float, reason: str) -> None:
        """Idempotent: only a running charge moves to `stopping`."""
        if c.state in ("starting", "charging", "paused"):
            # Energy keeps flowing until the charger has actually stopped, if it was flowing.
            c.flow_while_stopping = c.state == "charging"
            c.stop_reason = reason
            c.stopping_until = now + self.cfg.wall(self.cfg.stop_delay_s)
            self._to(c, "stopping", now)

    def unplug(self, c: Charge, now: float) -> None:
        c.unplugged = True
        if c.state in ("starting", "charging", "paused", "stopping"):
            c.stop_reason = c.stop_reason or "cable-unplugged"
            self._stopped(c, now)
        elif c.state in ("stopped", "releasing"):
            self._after_stop(c, now)

    def gross_price(self, c: Charge) -> Decimal:
        pg = self.price_group(c.price_group_id)
        net = net_minor(
            pg,
            started=c.started_at is not None,
            kwh=c.kwh,
            charging_s=c.charging_s,
            idle_s=c.idle_s,
        )
        return gross(net, pg)

    # -- the tick -----------------------------------------------------------------------
    def advance(self, c: Charge, now: float) -> None:
        if c.state == "completed":
            return
        emu = Decimal(repr(max(0.0, now - c.last_tick) * self.cfg.time_scale))
        c.last_tick = now
        if c.state == "starting":
            self._starting(c, now)
        elif c.state in ("charging", "stopping"):
            if c.state == "charging" or c.flow_while_stopping:
                self._flow(c, now, emu)
            else:
                c.charging_s += emu
            if c.state == "stopping" and c.stopping_until is not None and now >= c.stopping_until:
                self._stopped(c, now)
        elif c.state == "paused":
            c.charging_s += emu
            if c.fully_charged_at is not None:  # paused mid-charge is not idle
                c.idle_s += emu
            self._check_price_limit(c, now)
            if c.state == "paused" and c.resume_at is not None and now >= c.resume_at:
                c.resume_at = None
                self._to(c, "charging", now)
        else:
            if c.state in ("stopped", "releasing") and self._plugged_idle(c):
                c.idle_s += emu
            self._after_stop(c, now)
        self._leave_if_due(c, now)
        self._meter(c, now)

    # -- internals ----------------------------------------------------------------------
    def _plugged_idle(self, c: Charge) -> bool:
        """An ended charge whose car is still plugged in, on a charger that can tell."""
        detects = self.point(c.charge_point_id).releaseDetection
        return detects and not c.unplugged and c.cable_plugged_in_at is not None

    def _leave_if_due(self, c: Charge, now: float) -> None:
        """A car that stays plugged in leaves `stay_plugged_s` after energy stopped."""
        stay = c.car.stay_plugged_s
        if stay is None or c.unplugged or c.state == "completed" or c.cable_plugged_in_at is None:
            return
        marks = [t for t in (c.fully_charged_at, c.stopped_at) if t is not None]
        if marks and now >= min(marks) + self.cfg.wall(stay):
            self.unplug(c, now)

    def _to(self, c: Charge, state: str, now: float) -> None:
        c.state = state
        c.states.append({"t": now, "state": state})
        self.publish(c, now, True)

    def _stopped(self, c: Charge, now: float) -> None:
        c.stopped_at = now
        c.stopping_until = None
        c.power_kw = 0.0
        self._to(c, "stopped", now)

    def _starting(self, c: Charge, now: float) -> None:
        plug_s = self.cfg.plug_delay_s if c.car.plug_delay_s is None else c.car.plug_delay_s
        plug_at = None if c.car.never_plug else c.created_at + self.cfg.wall(plug_s)
        timeout_at = c.created_at + self.cfg.wall(self.cfg.plug_timeout_s)
        if plug_at is not None and plug_at <= timeout_at and now >= plug_at:
            c.cable_plugged_in_at = c.started_at = now
            c.next_meter_at = now + self.cfg.wall(self.cfg.meter_interval_s)
            self._to(c, "charging", now)
        elif now >= timeout_at:
            c.timeout_at = now
            c.stop_reason = "timeout"
            c.failure_reason = "Car did not connect in time"
            self._stopped(c, now)

    def _power(self, c: Charge) -> float:
        point = self.point(c.charge_point_id)
        kw = point.maxKw
        if point.type == "dc":
            frac = float(c.kwh) / max(c.car.battery_kwh, 1e-9)
            if frac > 0.8:  # DC taper above ~80 % of the battery
                kw *= max(0.05, (1.0 - frac) / 0.2)
        return kw

    def _caps(self, c: Charge) -> list[tuple[Decimal, str]]:
        caps: list[tuple[Decimal, str]] = []
        if c.kwh_limit is not None:
            caps.append((c.kwh_limit, "kwh-limit-reached"))
        if c.price_limit_minor is not None:
            pg = self.price_group(c.price_group_id)
            caps.append(
                (
                    max_kwh_for_gross(
                        pg, c.price_limit_minor, charging_s=c.charging_s, idle_s=c.idle_s
                    ),
                    "price-limit-reached",
                )
            )
        if c.soc_limit is not None:
            need = (float(c.soc_limit) - c.car.start_soc) / (100 - c.car.start_soc)
            caps.append((Decimal(repr(max(0.0, need) * c.car.battery_kwh)), "soc-limit-reached"))
        caps.append((Decimal(repr(c.car.battery_kwh)), "full"))
        if c.state == "charging":
            if c.car.unplug_after_kwh is not None:
                caps.append((Decimal(repr(c.car.unplug_after_kwh)), "unplug"))
            if c.car.pause_after_kwh is not None and not c.pause_done:
                caps.append((Decimal(repr(c.car.pause_after_kwh)), "pause"))
            if c.car.fail_after_kwh is not None:
                caps.append((Decimal(repr(c.car.fail_after_kwh)), "fail"))
        return caps

    def _flow(self, c: Charge, now: float, emu: Decimal) -> None:
        c.charging_s += emu
        c.power_kw = self._power(c)
        target = c.kwh + Decimal(repr(c.power_kw)) * emu / 3600
        hits = [(cap, why) for cap, why in self._caps(c) if cap <= target]
        if not hits:
            self._add_energy(c, target, now)
            return
        cap, why = min(hits, key=lambda h: h[0])
        self._add_energy(c, max(c.kwh, cap), now)
        c.power_kw = 0.0
        if c.state == "stopping":  # already on its way out: the charger just stops flowing
            c.flow_while_stopping = False
        elif why in _LIMIT_REASONS:
            if why == "kwh-limit-reached" and c.kwh_limit_crossed_at is None:
                c.kwh_limit_crossed_at = now
            self.request_stop(c, now, why)
        elif why == "full":
            c.fully_charged_at = now
            self._to(c, "paused", now)
        elif why == "pause":
            c.pause_done = True
            c.resume_at = now + self.cfg.wall(c.car.pause_for_s)
            self._to(c, "paused", now)
        elif why == "fail":
            c.failed_at = now
            c.failure_reason = "Charge point reported a fault"
            c.stop_reason = "failed"
            self._stopped(c, now)
        elif why == "unplug":
            self.unplug(c, now)

    def _add_energy(self, c: Charge, kwh: Decimal, now: float) -> None:
        hour = int((now - (c.started_at or now)) * self.cfg.time_scale // 3600)
        c.kwh_per_hour[hour] = c.kwh_per_hour.get(hour, Decimal(0)) + (kwh - c.kwh)
        c.kwh = kwh

    def _check_price_limit(self, c: Charge, now: float) -> None:
        if c.price_limit_minor is not None and self.gross_price(c) >= c.price_limit_minor:
            self.request_stop(c, now, "price-limit-reached")

    def _after_stop(self, c: Charge, now: float) -> None:
        assert c.stopped_at is not None
        cd = self.cfg.wall(self.cfg.complete_delay_s)
        # Release detection needs a cable that was plugged in.
        # A car that stays plugged in keeps the charge `releasing` until it is unplugged.
        stays = c.car.stay_plugged_s is not None and not c.unplugged
        if self.point(c.charge_point_id).releaseDetection and c.cable_plugged_in_at is not None:
            if c.state == "stopped" and (c.unplugged or now >= c.stopped_at + cd * 0.25):
                self._to(c, "releasing", now)
            due = not stays and now >= c.stopped_at + cd * 0.5
            if c.state == "releasing" and (c.unplugged or due):
                c.released_at = now
                self._to(c, "released", now)
        if now >= c.stopped_at + cd and (c.state in ("released", "stopped")):
            c.completed_at = now
            self._to(c, "completed", now)

    def _meter(self, c: Charge, now: float) -> None:
        if c.next_meter_at is None or c.state not in ("charging", "paused", "stopping"):
            return
        if now >= c.next_meter_at:
            interval = self.cfg.wall(self.cfg.meter_interval_s)
            while c.next_meter_at <= now:
                c.next_meter_at += interval
            self.publish(c, now, False)
