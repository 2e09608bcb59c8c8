"""ChargeSessionWorkflow end to end against fake activities (dev server, fast clock)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from api.session_start import start_session, start_session_and_wait_accepted
from tests.workflow.fakes import FakeWorld, now
from tests.workflow.harness import (
    make_request,
    push,
    session_handle,
    session_worker,
    state_trail,
    wait_status,
)
from workflows import contracts as c
from workflows import search_attributes as sa
from workflows.budget import compute_budget
from workflows.contracts import SessionStatus
from workflows.session import ChargeSessionWorkflow

pytestmark = pytest.mark.timeout(120)


async def _charge_to_budget(handle, world: FakeWorld) -> None:  # type: ignore[no-untyped-def]
    await push(handle, world, state="charging", started_at=now(), consumed_kwh=Decimal("1"))
    for kwh in ("3", "5", "6.95"):
        await push(handle, world, consumed_kwh=Decimal(kwh))
    await wait_status(handle, lambda s: s.state == "stopping")


async def test_happy_path_stops_at_budget_and_captures(temporal_env: WorkflowEnvironment) -> None:
    world, client = FakeWorld(), temporal_env.client
    async with session_worker(client, world) as queue:
        req = make_request(500)
        accepted = await start_session_and_wait_accepted(client, req, queue)
        # Answered once Monta accepted, before any car drew energy.
        assert accepted.state == "starting" and accepted.charge_id == 4242
        handle = session_handle(client, accepted.session_id)
        live = (await handle.describe()).typed_search_attributes
        await _charge_to_budget(handle, world)
        await push(handle, world, state="completed", completed_at=now(), price_minor=478)
        result: SessionStatus = await handle.result()
    assert result.state == "completed" and result.reason == "kwh_budget"
    # While the hold is open, visibility knows since when the state holds and when the
    # hold expires (the stuck-session and hold-expiry alerts read them).
    assert live.get(sa.SESSION_STATE) == "starting"
    since, expires = live.get(sa.STATE_SINCE), live.get(sa.HOLD_EXPIRES_AT)
    assert since is not None and expires is not None and expires > since
    assert result.captured is not None and result.captured.amount_minor == 478
    assert result.uncollected is not None and result.uncollected.amount_minor == 0
    assert world.names().count(c.MONTA_STOP_CHARGE) == 1
    start = next(a for n, a in world.calls if n == c.MONTA_START_CHARGE)
    assert start.partner_external_id == accepted.session_id and start.price_group_id == 9
    assert start.payment_session.card_last4 == "1234"
    attach = next(a for n, a in world.calls if n == c.MONTA_ATTACH_PAYMENT)
    assert attach.captured.amount_minor == 478
    # After the capture, one receipt for the session, with the hold's card and the price.
    receipt = next(a for n, a in world.calls if n == c.LEDGER_WRITE_RECEIPT)
    assert world.names().count(c.LEDGER_WRITE_RECEIPT) == 1
    assert receipt.session_id == accepted.session_id and receipt.price.amount_minor == 478
    assert receipt.captured.amount_minor == 478 and receipt.authorization.card_last4 == "1234"
    assert world.names().index(c.PAYMENTS_CAPTURE) < world.names().index(c.LEDGER_WRITE_RECEIPT)
    desc = await handle.describe()
    attrs = desc.typed_search_attributes
    assert attrs.get(sa.SESSION_STATE) == "completed"
    assert attrs.get(sa.MONTA_CHARGE_ID) == 4242 and attrs.get(sa.CARD_LAST4) == "1234"
    assert attrs.get(sa.ATTENTION) is None
    assert attrs.get(sa.HOLD_EXPIRES_AT) is None  # captured: no hold left to expire
    final_since = attrs.get(sa.STATE_SINCE)
    assert final_since is not None and since is not None and final_since > since
    capture = next(a for n, a in world.calls if n == c.PAYMENTS_CAPTURE)
    assert capture.idempotency_key == f"{accepted.session_id}/capture"
    assert world.names().count(c.MONTA_GET_TARIFF) == 1  # a bare start reads its tariff
    assert await state_trail(handle) == [
        *("authorizing", "pricing", "starting", "charging"),
        *("stopping", "settling", "completed"),
    ]


async def test_a_carried_tariff_is_frozen_without_reading_it(
    temporal_env: WorkflowEnvironment,
) -> None:
    """A start the API made carries the tariff the API read: no second read, and the budget
    follows the carried tariff (here twice the world's price per kWh)."""
    world, client = FakeWorld(), temporal_env.client
    point = c.ChargePointInfo(id=21, state="available", available=True)
    carried = c.TariffQuote(
        charge_point=point, tariff=world.tariff.model_copy(update={"per_kwh_minor": 110})
    )
    req = make_request(500).model_copy(update={"tariff": carried})
    async with session_worker(client, world) as queue:
        accepted = await start_session_and_wait_accepted(client, req, queue)
        handle = session_handle(client, accepted.session_id)
        await push(handle, world, state="completed", completed_at=now(), price_minor=0)
        result: SessionStatus = await handle.result()
        trail = await state_trail(handle)
    assert c.MONTA_GET_TARIFF not in world.names()
    # Priced already, it begins in `authorizing`: no upsert to step there from `pricing`.
    assert trail == ["authorizing", "starting", "stopping", "settling", "voided"]
    assert accepted.kwh_budget == compute_budget(req.amount, carried.tariff, req.config).kwh_budget
    assert result.state == "voided"


async def test_decline_never_starts(temporal_env: WorkflowEnvironment) -> None:
    world = FakeWorld(decline="do_not_honor")
    async with session_worker(temporal_env.client, world) as queue:
        status = await start_session_and_wait_accepted(temporal_env.client, make_request(), queue)
    assert status.state == "declined" and status.reason == "do_not_honor"
    assert world.monta_calls() == []


@pytest.mark.parametrize(
    ("amount", "currency", "reason"),
    [(5000, "DKK", "currency_mismatch"), (60, "EUR", "budget_too_small")],
)
async def test_rejected_before_any_start(
    temporal_env: WorkflowEnvironment, amount: int, currency: str, reason: str
) -> None:
    world = FakeWorld()
    async with session_worker(temporal_env.client, world) as queue:
        req = make_request(amount, currency)
        status = await start_session_and_wait_accepted(temporal_env.client, req, queue)
    assert status.state == "rejected" and status.reason == reason
    assert world.monta_calls() == [] and c.PAYMENTS_VOID in world.names()


async def test_start_rejected_voids(temporal_env: WorkflowEnvironment) -> None:
    world = FakeWorld(start_error=(c.ERR_CHARGE_POINT_UNAVAILABLE, "CHARGE_POINT_OFFLINE"))
    async with session_worker(temporal_env.client, world) as queue:
        status = await start_session_and_wait_accepted(temporal_env.client, make_request(), queue)
    assert status.state == "start_failed" and status.reason == "CHARGE_POINT_OFFLINE"
    assert world.names().count(c.MONTA_START_CHARGE) == 1 and c.PAYMENTS_VOID in world.names()


async def test_no_car_stops_and_voids(temporal_env: WorkflowEnvironment) -> None:
    world = FakeWorld()
    async with session_worker(temporal_env.client, world) as queue:
        handle = await start_session(temporal_env.client, make_request(), queue)
        result: SessionStatus = await handle.result()
    assert result.state == "start_failed" and result.reason == "no_energy"
    assert world.names().count(c.MONTA_STOP_CHARGE) == 1
    assert c.PAYMENTS_VOID in world.names() and c.PAYMENTS_CAPTURE not in world.names()


async def test_lost_start_response_is_looked_up_not_repeated(
    temporal_env: WorkflowEnvironment,
) -> None:
    world = FakeWorld(lose_start_response=1)
    async with session_worker(temporal_env.client, world) as queue:
        status = await start_session_and_wait_accepted(temporal_env.client, make_request(), queue)
    assert status.charge_id == 4242
    assert world.names().count(c.MONTA_START_CHARGE) == 1
    assert world.names().count(c.MONTA_FIND_CHARGE) == 1


async def test_stop_on_price_with_per_minute_tariff(temporal_env: WorkflowEnvironment) -> None:
    # 2.00 EUR/min, no VAT: the 475 price budget is reached by time alone, at ~2.4 min
    world = FakeWorld()
    world.tariff = world.tariff.model_copy(
        update={"per_kwh_minor": 10, "per_minute_minor": 200, "vat_rate": Decimal(0)}
    )
    async with session_worker(temporal_env.client, world) as queue:
        req = make_request(500, expected_power_kw=Decimal("50"), start_timeout_s=3000)
        accepted = await start_session_and_wait_accepted(temporal_env.client, req, queue)
        handle = session_handle(temporal_env.client, accepted.session_id)
        await push(handle, world, state="charging", started_at=now(), consumed_kwh=Decimal("1"))
        await wait_status(handle, lambda s: s.state == "stopping")
        await push(handle, world, state="completed", completed_at=now(), price_minor=450)
        result: SessionStatus = await handle.result()
    assert result.reason == "price_budget" and result.captured is not None


async def test_paused_too_long(temporal_env: WorkflowEnvironment) -> None:
    world = FakeWorld()
    async with session_worker(temporal_env.client, world) as queue:
        req = make_request(500, paused_timeout_s=600)  # 1 s on the wall
        accepted = await start_session_and_wait_accepted(temporal_env.client, req, queue)
        handle = session_handle(temporal_env.client, accepted.session_id)
        await push(handle, world, state="charging", started_at=now(), consumed_kwh=Decimal("1"))
        await push(handle, world, state="paused")
        status = await wait_status(handle, lambda s: s.state == "stopping")
    assert status.reason == "paused_timeout"


async def test_terminal_stop_then_refused_once_final(temporal_env: WorkflowEnvironment) -> None:
    world = FakeWorld()
    async with session_worker(temporal_env.client, world) as queue:
        accepted = await start_session_and_wait_accepted(temporal_env.client, make_request(), queue)
        handle = session_handle(temporal_env.client, accepted.session_id)
        await push(handle, world, state="charging", started_at=now(), consumed_kwh=Decimal("2"))
        stopped = await handle.execute_update(
            ChargeSessionWorkflow.request_stop, c.StopRequest(reason="terminal")
        )
        assert stopped.stop_requested_at is not None
        await wait_status(handle, lambda s: s.state == "stopping")
        await push(handle, world, state="completed", completed_at=now(), price_minor=138)
        result: SessionStatus = await handle.result()
        # A closed session refuses at the server, an open settling one in the validator.
        with pytest.raises((WorkflowUpdateFailedError, RPCError)):
            await handle.execute_update(
                ChargeSessionWorkflow.request_stop, c.StopRequest(reason="late")
            )
    assert result.reason == "requested" and result.captured is not None
    assert result.captured.amount_minor == 138
    assert world.names().count(c.MONTA_STOP_CHARGE) == 1


async def test_price_mismatch_flags_and_captures_the_smaller(
    temporal_env: WorkflowEnvironment,
) -> None:
    world = FakeWorld()
    async with session_worker(temporal_env.client, world) as queue:
        accepted = await start_session_and_wait_accepted(temporal_env.client, make_request(), queue)
        handle = session_handle(temporal_env.client, accepted.session_id)
        await _charge_to_budget(handle, world)
        # 6.95 kWh * 0.55 * 1.25 = 4.78; Monta says 47.78 (minor units read as major?)
        await push(handle, world, state="completed", completed_at=now(), price_minor=4778)
        result: SessionStatus = await handle.result()
        desc = await handle.describe()
    assert result.captured is not None and result.captured.amount_minor == 477
    assert result.attention and result.attention.startswith("price_mismatch")
    assert (desc.typed_search_attributes.get(sa.ATTENTION) or "").startswith("price_mismatch")


async def test_hold_about_to_expire_captures_last_known_price(
    temporal_env: WorkflowEnvironment,
) -> None:
    # 3600x: the 1 h capture margin is 1 s; the hold lasts 6 s on the wall:
    # stop at 4 s (two margins before expiry), capture at 5 s without `completed`.
    world = FakeWorld(hold_wall_s=6)
    async with session_worker(temporal_env.client, world) as queue:
        req = make_request(500, time_scale=3600.0, start_timeout_s=36_000)
        accepted = await start_session_and_wait_accepted(temporal_env.client, req, queue)
        handle = session_handle(temporal_env.client, accepted.session_id)
        await push(
            handle,
            world,
            state="charging",
            started_at=now(),
            consumed_kwh=Decimal("2"),
            price_minor=140,
        )
        # Captured on the last known price, the session keeps watching the charge (I4)…
        early = await wait_status(handle, lambda s: s.captured is not None)
        assert early.state == "settling" and early.captured is not None
        assert early.captured.amount_minor == 140
        # …and Monta's late `completed` says what it really cost: the rest is uncollected.
        await push(
            handle,
            world,
            state="completed",
            completed_at=now(),
            consumed_kwh=Decimal("2.1"),
            price_minor=148,
        )
        result: SessionStatus = await handle.result()
    assert result.reason == "hold_expiring" and result.state == "completed"
    assert result.captured is not None and result.captured.amount_minor == 140
    assert result.uncollected is not None and result.uncollected.amount_minor == 8
    assert result.attention == "no_completed_before_capture_deadline"
    # The receipt waits for the final price: it bills 148, 140 of it captured.
    receipt = next(a for n, a in world.calls if n == c.LEDGER_WRITE_RECEIPT)
    assert receipt.price.amount_minor == 148 and receipt.captured.amount_minor == 140
    assert receipt.uncollected is not None and receipt.uncollected.amount_minor == 8


async def test_a_late_completed_lost_on_its_way_is_read_from_monta(
    temporal_env: WorkflowEnvironment,
) -> None:
    """Captured on the last known price, the session asks Monta for the charge while it
    waits: a `completed` that never reaches it (webhook dropped, watcher failing) does not
    leave it waiting until its limit (I4, I6)."""
    world = FakeWorld(hold_wall_s=6)
    async with session_worker(temporal_env.client, world) as queue:
        req = make_request(500, time_scale=3600.0, start_timeout_s=36_000)
        accepted = await start_session_and_wait_accepted(temporal_env.client, req, queue)
        handle = session_handle(temporal_env.client, accepted.session_id)
        await push(
            handle, world, state="charging", started_at=now(), consumed_kwh=Decimal("2"),
            price_minor=140,
        )  # fmt: skip
        await wait_status(handle, lambda s: s.captured is not None)
        # Monta completes the charge, but no signal ever says so.
        world.set_charge(
            state="completed", completed_at=now(), consumed_kwh=Decimal("2.1"), price_minor=148
        )
        result: SessionStatus = await handle.result()
    assert result.state == "completed" and result.captured is not None
    assert result.captured.amount_minor == 140
    assert result.uncollected is not None and result.uncollected.amount_minor == 8
    assert c.MONTA_GET_CHARGE in world.names()


async def test_a_silent_charge_monta_forgot_flags_the_session(
    temporal_env: WorkflowEnvironment,
) -> None:
    """No news for the silence window: the session reads its charge once; Monta no longer
    knowing it flags the session, which keeps charging state and hold (I3)."""
    world = FakeWorld()
    async with session_worker(temporal_env.client, world) as queue:
        req = make_request(5000, start_timeout_s=36_000, charge_silence_check_s=600)
        accepted = await start_session_and_wait_accepted(temporal_env.client, req, queue)
        handle = session_handle(temporal_env.client, accepted.session_id)
        await push(handle, world, state="charging", started_at=now(), consumed_kwh=Decimal("1"))
        world.forgotten = True  # and no signal comes any more
        status = await wait_status(handle, lambda s: s.attention is not None)
        await handle.terminate("test over")
    assert status.attention == f"charge_unknown: Monta does not know charge {status.charge_id}"
    assert status.state == "charging"
    assert c.MONTA_GET_CHARGE in world.names()
    assert c.PAYMENTS_VOID not in world.names() and c.MONTA_STOP_CHARGE not in world.names()
