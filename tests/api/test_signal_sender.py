"""SignalSender logic on a fake Temporal client: a busy session is retried inside the
request, an outage fails at once, one signal in flight per session, coalesced repeats."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from temporalio.service import RPCError, RPCStatusCode

from api.webhooks.coalesce import CoalescePolicy
from api.webhooks.sender import SignalSender
from observability.metrics import WEBHOOK_SIGNALS
from workflows.contracts import ChargeSnapshot, SessionStatus

OP = "alpha"
POLICY = CoalescePolicy(near_cap_ratio=Decimal("0.75"), max_lag=timedelta(days=365))
SNAP = ChargeSnapshot(
    charge_id=7,
    state="charging",
    consumed_kwh=Decimal("1"),
    kwh_limit=Decimal("40"),
    updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    partner_external_id="session-alpha-T1-tx",
)


class FakeHandle:
    def __init__(self, client: FakeClient) -> None:
        self.client = client

    async def signal(self, name: str, arg: Any, rpc_timeout: Any = None) -> None:
        self.client.in_flight += 1
        self.client.max_in_flight = max(self.client.max_in_flight, self.client.in_flight)
        try:
            await asyncio.sleep(0.01)
            self.client.calls += 1
            if self.client.errors:
                raise RPCError("scripted", self.client.errors.pop(0), b"")
        finally:
            self.client.in_flight -= 1


class FakeClient:
    def __init__(self, *errors: RPCStatusCode) -> None:
        self.errors = list(errors)
        self.calls = self.in_flight = self.max_in_flight = 0

    def get_workflow_handle(self, workflow_id: str) -> FakeHandle:
        return FakeHandle(self)


def sender(client: FakeClient, budget_s: float = 3.0) -> SignalSender:
    return SignalSender(
        client,  # type: ignore[arg-type]
        POLICY,
        max_charges=10,
        concurrency=8,
        budget_s=budget_s,
    )


async def test_busy_session_is_retried_then_signalled_and_remembered() -> None:
    client = FakeClient(RPCStatusCode.RESOURCE_EXHAUSTED, RPCStatusCode.DEADLINE_EXCEEDED)
    s = sender(client)
    assert await s.deliver(SNAP, OP) == "signalled" and client.calls == 3
    assert await s.deliver(SNAP, OP) == "coalesced" and client.calls == 3


async def test_persistently_busy_session_fails_within_the_budget() -> None:
    client = FakeClient(*[RPCStatusCode.RESOURCE_EXHAUSTED] * 10)
    s = sender(client)
    assert await s.deliver(SNAP, OP) == "failed" and client.calls == 4
    client.errors.clear()
    assert await s.deliver(SNAP, OP) == "signalled"  # a failure is not remembered: redelivery works


async def test_outage_fails_at_once_and_finished_sessions_count_as_accepted() -> None:
    client = FakeClient(RPCStatusCode.UNAVAILABLE, RPCStatusCode.NOT_FOUND)
    s = sender(client)
    assert await s.deliver(SNAP, OP) == "failed" and client.calls == 1
    assert await s.deliver(SNAP, OP) == "finished"
    assert await s.deliver(SNAP, OP) == "coalesced" and client.calls == 2


async def test_one_signal_in_flight_per_session() -> None:
    client = FakeClient()
    s = sender(client)
    outcomes = await asyncio.gather(*(s.deliver(SNAP, OP) for _ in range(5)))
    assert sorted(outcomes) == ["coalesced"] * 4 + ["signalled"]
    assert client.max_in_flight == 1


async def _signalled_readings(s: SignalSender, kwh: range) -> list[int]:
    """Deliver a charge drawing 1 kWh every 10 s; the kWh readings that were signalled."""
    out = []
    for i in kwh:
        at = SNAP.updated_at + timedelta(seconds=10 * i)
        snap = SNAP.model_copy(update={"consumed_kwh": Decimal(i), "updated_at": at})
        if await s.deliver(snap, OP) == "signalled":
            out.append(i)
    return out


async def test_every_reading_near_the_cap_is_signalled() -> None:
    """The session stops at its budget inside the band (75 % of a 40 kWh cap here): every
    reading from 30 kWh on reaches it, whichever replica receives it."""
    readings = range(1, 39)
    assert await _signalled_readings(sender(FakeClient()), readings) == [1, *range(30, 39)]


def _signals(reason: str) -> float:
    return WEBHOOK_SIGNALS.labels(OP, reason)._value.get()


async def test_each_signal_is_counted_by_its_reason() -> None:
    """Operators (and the bench) read what a session's signals are made of from
    `chargepay_webhook_signals_total{reason}`; coalesced and failed deliveries count none."""
    before = {r: _signals(r) for r in ("first", "near_cap")}
    s = sender(FakeClient(RPCStatusCode.UNAVAILABLE))
    assert await s.deliver(SNAP, OP) == "failed"
    assert await s.deliver(SNAP, OP) == "signalled"
    assert await s.deliver(SNAP, OP) == "coalesced"
    near = SNAP.model_copy(
        update={
            "consumed_kwh": Decimal("31"),
            "updated_at": SNAP.updated_at + timedelta(seconds=10),
        }
    )
    assert await s.deliver(near, OP) == "signalled"
    assert _signals("first") - before["first"] == 1
    assert _signals("near_cap") - before["near_cap"] == 1


def _status(state: str, charge_state: str) -> SessionStatus:
    return SessionStatus(
        session_id=SNAP.partner_external_id or "",
        state=state,
        operator=OP,
        charge_point_id=101,
        terminal_id="T1",
        charge_id=SNAP.charge_id,
        consumed_kwh=Decimal(0),
        updated_at=SNAP.updated_at,
        charge_state=charge_state,
    )


async def test_the_first_entry_repeating_the_sessions_own_answer_is_not_signalled() -> None:
    """The start's answer says what the session has of its charge (POST /charges): Monta's
    first webhook entry of the same charge, state and instant only repeats it."""
    first = SNAP.model_copy(update={"state": "starting", "consumed_kwh": Decimal(0)})
    plugged = first.model_copy(
        update={"state": "charging", "updated_at": SNAP.updated_at + timedelta(seconds=10)}
    )
    client = FakeClient()
    s = sender(client)
    s.known(_status("starting", "starting"))
    assert await s.deliver(first, OP) == "coalesced"
    assert await s.deliver(plugged, OP) == "signalled"  # a new state is news as before
    assert client.calls == 1
    # Unknown to this process, or a session winding down: every first entry is signalled.
    other = sender(FakeClient())
    other.known(_status("stopping", "starting"))
    assert await other.deliver(first, OP) == "signalled"
    assert await sender(FakeClient()).deliver(first, OP) == "signalled"


async def test_its_own_answer_never_overrides_what_this_process_signalled() -> None:
    s = sender(FakeClient())
    assert await s.deliver(SNAP, OP) == "signalled"
    s.known(_status("charging", "starting"))  # older view than the signalled one
    assert await s.deliver(SNAP, OP) == "coalesced"  # still judged against the signal


async def test_a_first_entry_waits_for_the_start_answer_under_way() -> None:
    """Monta's first entry of a charge often reaches the API before the start that created
    it is answered: it waits for that answer, then is judged against it."""
    first = SNAP.model_copy(update={"state": "starting", "consumed_kwh": Decimal(0)})
    client = FakeClient()
    s = sender(client)
    with s.starting(SNAP.partner_external_id or ""):
        delivery = asyncio.create_task(s.deliver(first, OP))
        await asyncio.sleep(0.05)
        assert not delivery.done()  # held for the answer
        s.known(_status("starting", "starting"))
    assert await delivery == "coalesced" and client.calls == 0


async def test_a_start_that_is_not_answered_in_time_holds_nothing_back() -> None:
    first = SNAP.model_copy(update={"state": "starting", "consumed_kwh": Decimal(0)})
    s = SignalSender(
        FakeClient(),  # type: ignore[arg-type]
        POLICY,
        max_charges=10,
        concurrency=8,
        start_wait_s=0.05,
    )
    with s.starting(SNAP.partner_external_id or ""):
        assert await s.deliver(first, OP) == "signalled"  # no answer within the wait
