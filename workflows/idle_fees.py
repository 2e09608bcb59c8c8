"""Idle (overstay) fees: which rules apply, when idle time runs, and the fee. Pure.

Rules: Monta's price group wins whenever it has an idle fee: Monta bills it inside its own
`price`, so chargepay adds nothing (the fee is shown, never charged twice). Only where the
price group has none does the operator's rule for the charge point apply, and chargepay adds
that fee to its capture.

Idle time starts when energy stops flowing while the car stays plugged in: Monta's
`fullyChargedAt` (the car is full) or `stoppedAt`, whichever came first. It ends at the
unplug (`releasedAt`) on chargers that detect it, else at Monta's `completedAt`. The fee is
per minute after the grace period, up to the session cap, and (when chargepay bills it) up
to what the hold has left after the energy: it is never captured above the hold.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Literal

from core.clock import Clock
from core.idle_rules import IdleFeeRule
from workflows.contracts import ChargeSnapshot, Tariff
from workflows.contracts.idle import IdleFee, IdleRules, IdleSource

_MINUTE = Decimal("0.01")
# A charge on its way to `completed`; with `stoppedAt` known, no energy flows any more.
_ENDING = ("stopping", "stopped", "releasing", "released")


def idle_rules(tariff: Tariff, rule: IdleFeeRule | None) -> IdleRules | None:
    """The rules for a session: Monta's price group's idle fee, else the operator's for the
    point, else none. `rule.release_detection` says what ends idle time either way."""
    ends_at = "released" if rule is not None and rule.release_detection else "completed"
    chosen: tuple[IdleSource, int, int, int]  # source, per minute, grace, cap
    if tariff.idle_per_minute_minor > 0:
        fee = tariff.idle_per_minute_minor, tariff.idle_after_minutes, tariff.idle_cap_minor
        chosen = ("monta", *fee)
    elif rule is not None and rule.per_minute_minor > 0:
        chosen = ("chargepay", rule.per_minute_minor, rule.grace_minutes, rule.cap_minor)
    else:
        return None
    source, per_minute_minor, grace_minutes, cap_minor = chosen
    return IdleRules(
        source=source,
        per_minute_minor=per_minute_minor,
        grace_minutes=grace_minutes,
        cap_minor=cap_minor,
        vat_rate=tariff.vat_rate,
        ends_at=ends_at,
    )


def reserve_net_minor(rules: IdleRules | None, expected_minutes: int) -> int:
    """What the budget keeps free for idle time: the fee of a car that stays plugged in
    `expected_minutes` after energy stopped (the grace period is free), at most the cap
    (net)."""
    if rules is None:
        return 0
    reserve = rules.per_minute_minor * max(0, expected_minutes - rules.grace_minutes)
    return min(reserve, rules.cap_minor) if rules.cap_minor else reserve


def idle_started(snap: ChargeSnapshot) -> datetime | None:
    """When energy stopped flowing for good with the car plugged in (None: not yet, or no
    car ever plugged in)."""
    if snap.cable_plugged_in_at is None and snap.started_at is None:
        return None
    marks = [t for t in (snap.fully_charged_at, snap.stopped_at) if t is not None]
    return min(marks) if marks else None


def idle_ended(
    snap: ChargeSnapshot,
) -> tuple[datetime, Literal["released", "completed"]] | None:
    """The unplug where the charger reported it, else Monta's `completed`."""
    if snap.released_at is not None:
        return snap.released_at, "released"
    if snap.completed_at is not None:
        return snap.completed_at, "completed"
    return None


def idle_minutes(snap: ChargeSnapshot, time_scale: float, until: datetime | None = None) -> Decimal:
    """Real minutes of idle time (2 decimals): from energy stopping to the unplug, or to
    `completed`; to `until` while neither is known (0 without `until`)."""
    start, end = idle_started(snap), idle_ended(snap)
    stop = end[0] if end is not None else until
    if start is None or stop is None or stop <= start:
        return Decimal(0)
    real_s = Clock(time_scale).real_seconds((stop - start).total_seconds())
    return (Decimal(str(real_s)) / 60).quantize(_MINUTE, rounding=ROUND_HALF_EVEN)


def _gross(net: Decimal, vat_rate: Decimal) -> int:
    return int((net * (1 + vat_rate)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def idle_fee(
    rules: IdleRules,
    snap: ChargeSnapshot,
    time_scale: float,
    *,
    until: datetime | None = None,
    room_minor: int | None = None,
) -> IdleFee:
    """Idle minutes and the fee. `until`: where idle time has not ended yet, count it up
    to this instant (a running estimate, or the bound of the idle watch). `room_minor`:
    what the hold has left after the energy; a fee chargepay bills never exceeds it."""
    end = idle_ended(snap)
    ended = end[1] if end is not None else None
    minutes = idle_minutes(snap, time_scale, until)
    billable = max(Decimal(0), minutes - rules.grace_minutes)
    net = billable * rules.per_minute_minor
    capped = None
    if rules.cap_minor and net >= rules.cap_minor:
        net, capped = Decimal(rules.cap_minor), "cap"
    fee = _gross(net, rules.vat_rate)
    if rules.source == "chargepay" and room_minor is not None and fee > room_minor:
        fee, capped = max(room_minor, 0), "hold"
    return IdleFee(
        source=rules.source,
        minutes=minutes,
        billable_minutes=billable,
        fee_minor=fee,
        capped=capped,
        ended=ended,
    )


def watch_limit(
    rules: IdleRules | None,
    snap: ChargeSnapshot | None,
    time_scale: float,
    max_watch_s: float,
    release_wait_s: float,
) -> datetime | None:
    """How long a session billing idle fees waits for the car to leave once energy stopped:
    until the fee reaches its cap (nothing more can be billed), at most `max_watch_s`, but
    never less than `release_wait_s` after the stop (Monta's time to report an unplug that
    already happened). Only on chargers that detect the unplug, once the charge ended
    (`stoppedAt` known): Monta's `completed` then waits for the car. None otherwise (no fee
    of chargepay's, the charge still runs, or `completed` does not wait for the car)."""
    if rules is None or rules.source != "chargepay" or rules.ends_at != "released":
        return None
    if snap is None or snap.state not in _ENDING or snap.stopped_at is None:
        return None
    start = idle_started(snap)
    if start is None:
        return None
    real_s = max_watch_s
    if rules.cap_minor:
        to_cap_min = Decimal(rules.grace_minutes) + Decimal(rules.cap_minor) / Decimal(
            rules.per_minute_minor
        )
        real_s = min(real_s, float(to_cap_min * 60))
    clock = Clock(time_scale)
    return max(start + clock.wall(real_s), snap.stopped_at + clock.wall(release_wait_s))
