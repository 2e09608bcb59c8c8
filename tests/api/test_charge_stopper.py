"""The API's own stop (api/charge_stopper.py): when, at most once per charge, and what the
session is told instead of the reading (a fake Temporal client and a fake Monta call)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from api.charge_pace import Pace
from api.charge_stopper import ChargeStopper, stop_now
from api.signal_coalesce import CoalescePolicy
from api.signal_sender import SignalSender
from observability.metrics import WEBHOOK_SIGNALS
from workflows.contracts import ChargeSnapshot

OP = "alpha"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
SNAP = ChargeSnapshot(
    charge_id=7,
    state="charging",
    consumed_kwh=Decimal("10"),
    kwh_limit=Decimal("40"),
    updated_at=T0,
    partner_external_id="session-alpha-T1-tx",
)
PACE = Pace(kwh_budget=Decimal("10.5"), kwh_per_s=Decimal("0.1"), gap_s=Decimal("1"))


class Monta:
    """Answers a stop with the charge winding down, or fails as scripted."""

    def __init__(self, fail: BaseException | None = None, delay_s: float = 0.0) -> None:
        self.stops: list[int] = []
        self.fail, self.delay_s = fail, delay_s

    async def stop(self, operator: str, charge_id: int) -> ChargeSnapshot:
        self.stops.append(charge_id)
        await asyncio.sleep(self.delay_s)
        if self.fail is not None:
            raise self.fail
        # Monta's charge as of the stop, later than any reading (partnerExternalId left out)
        later = T0 + timedelta(days=1)
        return SNAP.model_copy(
            update={"state": "stopping", "updated_at": later, "partner_external_id": None}
        )


def stopper(monta: Monta, enabled: bool = True, timeout_s: float = 2.0) -> ChargeStopper:
    async def on() -> bool:
        return enabled

    return ChargeStopper(monta.stop, on, max_charges=10, timeout_s=timeout_s)


@pytest.mark.parametrize(
    ("snap", "pace", "latency_s", "due"),
    [
        (SNAP, PACE, 5.0, True),  # 10 + 0.1 kWh/s * 5 s reaches 10.5
        (SNAP, PACE, 4.0, False),
        (SNAP, None, 5.0, False),  # budget unknown to this process
        (SNAP.model_copy(update={"state": "paused"}), PACE, 5.0, False),
    ],
)
def test_the_sessions_kwh_rule_decides(
    snap: ChargeSnapshot, pace: Pace | None, latency_s: float, due: bool
) -> None:
    assert stop_now(snap, pace, latency_s) is due


async def test_one_stop_per_charge_and_its_answer_is_marked_for_the_session() -> None:
    monta = Monta()
    s = stopper(monta)
    answer = await s.stop(OP, SNAP)
    assert answer is not None and answer.state == "stopping"
    assert answer.stop_sent_for == "kwh_budget"
    assert answer.partner_external_id == SNAP.partner_external_id  # where to signal it
    assert await s.stop(OP, SNAP) == answer  # a redelivered entry: the same news
    assert monta.stops == [7]


@pytest.mark.parametrize(
    "monta",
    [Monta(fail=RuntimeError("503")), Monta(delay_s=1.0)],
    ids=["monta fails", "monta too slow"],
)
async def test_a_failed_stop_leaves_it_to_the_session_and_is_not_repeated(monta: Monta) -> None:
    s = stopper(monta, timeout_s=0.1)
    assert await s.stop(OP, SNAP) is None
    assert await s.stop(OP, SNAP) is None
    assert monta.stops == [7]


async def test_not_while_a_session_worker_could_not_read_the_mark() -> None:
    monta = Monta()
    assert await stopper(monta, enabled=False).stop(OP, SNAP) is None
    assert monta.stops == []


class Client:
    """Records each signal's payload."""

    def __init__(self) -> None:
        self.sent: list[ChargeSnapshot] = []

    def get_workflow_handle(self, workflow_id: str) -> Client:
        return self

    async def signal(self, name: str, arg: Any, rpc_timeout: Any = None) -> None:
        self.sent.append(arg)


async def test_the_reading_that_makes_the_stop_due_becomes_the_stops_answer() -> None:
    """A session stopping at 38 kWh: the API stops the charge at the 38 kWh reading and
    signals Monta's answer in its place; Monta's winding-down entries then add nothing."""
    client, monta = Client(), Monta()
    policy = CoalescePolicy(near_cap_ratio=Decimal("0.75"), max_interval_s=1e9)
    s = SignalSender(
        client,  # type: ignore[arg-type]
        policy,
        max_charges=10,
        concurrency=4,
        stopper=stopper(monta),
    )
    s.expect(SNAP.charge_id, Decimal("38"))
    before = WEBHOOK_SIGNALS.labels(OP, "api_stop")._value.get()
    for i in range(1, 39):
        at = T0 + timedelta(seconds=10 * i)
        await s.deliver(SNAP.model_copy(update={"consumed_kwh": Decimal(i), "updated_at": at}), OP)
    assert monta.stops == [7]
    last = client.sent[-1]
    assert last.state == "stopping" and last.stop_sent_for == "kwh_budget"
    assert [x.consumed_kwh for x in client.sent[:-1]] == [1, 37]
    assert WEBHOOK_SIGNALS.labels(OP, "api_stop")._value.get() == before + 1
    # A reading sent before the stop took effect, delivered after it: the session has the answer.
    late = SNAP.model_copy(
        update={"consumed_kwh": Decimal("38.5"), "updated_at": T0 + timedelta(seconds=385)}
    )
    assert await s.deliver(late, OP) == "coalesced" and len(client.sent) == 3
    stopped = SNAP.model_copy(update={"state": "stopped", "updated_at": T0 + timedelta(days=2)})
    assert await s.deliver(stopped, OP) == "coalesced"
    assert monta.stops == [7]
