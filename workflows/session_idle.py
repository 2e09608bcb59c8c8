"""The session's idle phase (docs/idle-fees.md): which rules it applies, how long it waits
for the car to leave, and the idle fee added to a settlement. The fee itself is
workflows/idle_fees.py's; this module only wires it to the session's state.

Monta's idle fee (its price group has one) is inside Monta's price: the session records it
for the status and the receipt, and adds nothing. The operator's fee is added to the
capture, up to what the hold has left after the energy; never above the hold.
"""

from __future__ import annotations

from datetime import datetime

from core.clock import Clock
from core.money import Money
from workflows.contracts import CHARGE_WINDING_DOWN, ChargeSnapshot, SessionConfig
from workflows.contracts.idle import IdleFee, IdleRules
from workflows.idle_fees import idle_fee, idle_rules, watch_limit
from workflows.session_data import SessionData
from workflows.session_deadlines import settle_deadline
from workflows.settle import Settlement

# The operator flag of a session that captured its idle fee before Monta's `completed`:
# the car did not leave (or the fee reached its cap) within the idle watch.
IDLE_WATCH_ENDED = "idle_watch_ended_before_completed"


def session_idle_rules(data: SessionData, config: SessionConfig) -> IdleRules | None:
    return idle_rules(data.tariff, config.idle_fee) if data.tariff is not None else None


def idle_snapshot(data: SessionData, config: SessionConfig) -> ChargeSnapshot | None:
    """The snapshot idle time is measured on. Webhooks of a winding-down charge reach the
    session only with `completed` (api/webhooks/coalesce.py), so a charge the session saw
    `stopping` may lack `stoppedAt`: once Monta confirmed the session's stop, the stop plus
    the delivery latency stands in for it until Monta reports it."""
    snap = data.snapshot
    if snap is None or snap.stopped_at is not None or snap.state not in CHARGE_WINDING_DOWN:
        return snap
    if not data.stop_confirmed or data.stop_sent_at is None:
        return snap
    latency = Clock(config.time_scale).wall(config.stop_delivery_latency_s)
    return snap.model_copy(update={"stopped_at": data.stop_sent_at + latency})


def idle_watch_until(data: SessionData, config: SessionConfig) -> datetime | None:
    """Where chargepay bills idle fees: the instant the session stops waiting for the car
    to leave (fee cap reached, or `idle_watch_max_s` after energy stopped)."""
    rules = session_idle_rules(data, config)
    return watch_limit(
        rules,
        idle_snapshot(data, config),
        config.time_scale,
        config.idle_watch_max_s,
        config.idle_release_wait_s,
    )


def stopping_deadline(data: SessionData, config: SessionConfig) -> datetime:
    """How long a stopping session waits for `completed`: the settle deadline, or earlier
    the end of the idle watch. Both bound a car that never leaves."""
    deadline = settle_deadline(data, config)
    watch = idle_watch_until(data, config)
    return min(deadline, watch) if watch is not None else deadline


def idle_watch_ended(data: SessionData, config: SessionConfig, now: datetime) -> bool:
    """The idle watch, not the settle deadline, ended the wait for `completed`."""
    watch = idle_watch_until(data, config)
    return watch is not None and now >= watch and watch < settle_deadline(data, config)


def with_idle_fee(
    settlement: Settlement, data: SessionData, config: SessionConfig, until: datetime | None
) -> Settlement:
    """The settlement with the idle fee chargepay bills added (recorded on `data.idle`
    either way). `until`: the end of idle time where Monta has reported neither the unplug
    nor `completed` (capture at the idle watch's end or the settle deadline)."""
    rules, snap = session_idle_rules(data, config), idle_snapshot(data, config)
    if rules is None or snap is None or settlement.void:
        return settlement
    if data.idle is not None and data.idle.ended == "watch_limit":
        fee: IdleFee = data.idle  # captured at the watch's end: a later unplug adds nothing
    else:
        room = settlement.capture.amount_minor
        assert data.authorization is not None
        room = data.authorization.amount.amount_minor - room
        fee = idle_fee(rules, snap, config.time_scale, until=until, room_minor=room)
        if fee.ended is None and until is not None and rules.source == "chargepay":
            fee = fee.model_copy(update={"ended": "watch_limit"})
    data.idle = fee
    if rules.source != "chargepay" or fee.fee_minor == 0:
        return settlement
    cur = settlement.capture.currency
    price = settlement.price.amount_minor if settlement.price else settlement.capture.amount_minor
    return settlement.model_copy(
        update={
            "capture": Money(
                amount_minor=settlement.capture.amount_minor + fee.fee_minor, currency=cur
            ),
            "price": Money(amount_minor=price + fee.fee_minor, currency=cur),
        }
    )


def running_idle(data: SessionData, config: SessionConfig) -> IdleFee | None:
    """Idle time so far, for the status and summary: the settled fee once there is one."""
    if data.idle is not None:
        return data.idle
    rules, snap = session_idle_rules(data, config), idle_snapshot(data, config)
    if rules is None or snap is None:
        return None
    return idle_fee(rules, snap, config.time_scale, until=snap.updated_at)
