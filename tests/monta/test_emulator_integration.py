"""The client and the activities against the Monta emulator running as a subprocess."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.monta.activities import MontaActivities
from activities.monta.client import MontaClient
from activities.monta.errors import MontaScopeError
from activities.monta.models import WebhookConfig
from activities.monta.scopes import check_consumer
from core.money import Money
from tests.monta.conftest import alpha_client
from tests.support.monta_emulator import MontaEmulator
from workflows.contracts import (
    ERR_CHARGE_POINT_UNAVAILABLE,
    ERR_MONTA_UNAVAILABLE,
    AttachPaymentInput,
    ChargeRef,
    ChargeSnapshot,
    FindChargeInput,
    FindChargesUpdatedSinceInput,
    GetTariffInput,
    PaymentSessionInfo,
    StartChargeInput,
)

pytestmark = pytest.mark.integration
PAYMENT = PaymentSessionInfo(
    provider="chargepay", external_id="K7Q2", card_brand="VISA", card_last4="4242"
)


def start_input(pid: str, charge_point_id: int = 101) -> StartChargeInput:
    return StartChargeInput(
        operator="alpha",
        charge_point_id=charge_point_id,
        paying_team_id=1001,
        partner_external_id=pid,
        kwh_limit=Decimal("10"),
        price_limit_minor=2000,
        currency="EUR",
        payment_session=PAYMENT,
    )


def env_at(attempt: int) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=attempt)
    return env


def charges_with(emu: MontaEmulator, pid: str) -> list[dict[str, object]]:
    return [c for c in emu.truth()["charges"] if c["partnerExternalId"] == pid]


async def wait_for(
    acts: MontaActivities, charge_id: int, done: Callable[[ChargeSnapshot], bool]
) -> ChargeSnapshot:
    """Poll until the emulated charge satisfies `done` (bounded; TIME_SCALE makes it quick)."""
    ref = ChargeRef(operator="alpha", charge_id=charge_id)
    for _ in range(400):
        snap = await env_at(1).run(acts.get_charge, ref)
        if done(snap):
            return snap
        await asyncio.sleep(0.05)
    raise AssertionError(f"charge {charge_id} never got there; last seen {snap}")


def completed(snap: ChargeSnapshot) -> bool:
    return snap.state == "completed"


# ---------------------------------------------------------------- scopes
async def test_scope_check_at_startup(emu: MontaEmulator, client: MontaClient) -> None:
    assert await check_consumer(client, "alpha") == []
    async with MontaClient(
        emu.base_url, "limited-client", "limited-secret-change-me", timeout_s=5
    ) as limited:
        with pytest.raises(MontaScopeError) as missing:
            await check_consumer(limited, "alpha")
    assert "'alpha'" in str(missing.value) and "control-charging:write" in str(missing.value)
    assert "charge-transactions:read" not in str(missing.value)
    async with MontaClient(emu.base_url, "alpha-client", "wrong-secret", timeout_s=5) as bad:
        with pytest.raises(MontaScopeError) as rejected:
            await check_consumer(bad, "alpha")
    assert "'alpha'" in str(rejected.value) and "CONSUMER_NOT_FOUND" in str(rejected.value)


# ---------------------------------------------------------------- tariffs and starts
async def test_tariff_quotes_for_two_currencies_and_unknown_point(client: MontaClient) -> None:
    acts = MontaActivities(client, "major", tariff_ttl_s=60)
    eur = await env_at(1).run(
        acts.get_tariff, GetTariffInput(operator="alpha", charge_point_id=101)
    )
    sek = await env_at(1).run(
        acts.get_tariff, GetTariffInput(operator="alpha", charge_point_id=108)
    )
    busy = await env_at(1).run(
        acts.get_tariff, GetTariffInput(operator="alpha", charge_point_id=106)
    )
    assert (eur.tariff.currency, eur.tariff.per_kwh_minor, eur.tariff.start_fee_minor) == (
        "EUR",
        45,
        100,
    )
    assert eur.tariff.vat_rate == Decimal("0.25") and eur.charge_point.available
    assert (sek.tariff.currency, sek.tariff.per_kwh_minor) == ("SEK", 450)
    assert not busy.charge_point.available
    with pytest.raises(ApplicationError) as unknown:
        await env_at(1).run(acts.get_tariff, GetTariffInput(operator="alpha", charge_point_id=999))
    assert unknown.value.type == ERR_CHARGE_POINT_UNAVAILABLE and unknown.value.non_retryable


@pytest.mark.parametrize(
    ("charge_point_id", "code"),
    [(106, "CHARGE_POINT_BUSY"), (107, "CHARGE_POINT_OFFLINE"), (999, "RESOURCE_NOT_FOUND")],
)
async def test_start_rejections_are_charge_point_unavailable(
    emu: MontaEmulator, client: MontaClient, charge_point_id: int, code: str
) -> None:
    acts = MontaActivities(client, "major", tariff_ttl_s=60)
    with pytest.raises(ApplicationError) as info:
        await env_at(1).run(acts.start_charge, start_input(f"session-rej-{code}", charge_point_id))
    assert info.value.type == ERR_CHARGE_POINT_UNAVAILABLE and info.value.non_retryable
    assert list(info.value.details) == [code]
    assert emu.truth()["charges"] == []


async def test_5xx_start_is_retryable_and_the_retry_starts_once(
    emu: MontaEmulator, client: MontaClient
) -> None:
    acts = MontaActivities(client, "major", tariff_ttl_s=60)
    emu.set_faults([{"operation": "start-charge", "kind": "5xx", "count": 1}])
    with pytest.raises(ApplicationError) as info:
        await env_at(1).run(acts.start_charge, start_input("session-5xx"))
    assert info.value.type == ERR_MONTA_UNAVAILABLE and not info.value.non_retryable
    snap = await env_at(2).run(acts.start_charge, start_input("session-5xx"))
    assert snap.partner_external_id == "session-5xx" and snap.currency == "EUR"
    assert [c["id"] for c in charges_with(emu, "session-5xx")] == [snap.charge_id]


async def test_lost_start_response_is_recovered_without_a_second_charge(emu: MontaEmulator) -> None:
    emu.set_faults(
        [{"operation": "start-charge", "kind": "commit_then_drop", "count": 1, "delay_s": 5}]
    )
    async with alpha_client(emu, timeout_s=1.0) as client:
        acts = MontaActivities(client, "major", tariff_ttl_s=60)
        with pytest.raises(ApplicationError) as info:
            await env_at(1).run(acts.start_charge, start_input("session-lost"))
        assert info.value.type == ERR_MONTA_UNAVAILABLE and info.value.details[0] == "TIMEOUT"
        snap = await env_at(2).run(acts.start_charge, start_input("session-lost"))
        found = await env_at(1).run(
            acts.find_charge, FindChargeInput(operator="alpha", partner_external_id="session-lost")
        )
        starts = {k: n for k, n in client.metrics.requests.items() if k[0] == "start-charge"}
    assert [c["id"] for c in charges_with(emu, "session-lost")] == [snap.charge_id]
    assert found is not None and found.charge_id == snap.charge_id
    assert starts == {("start-charge", "transport"): 1}  # the retry never POSTed again


# ---------------------------------------------------------------- stop, payment, paging
async def test_stop_is_idempotent_and_stopping_a_completed_charge_returns_it(
    emu: MontaEmulator, client: MontaClient
) -> None:
    acts = MontaActivities(client, "major", tariff_ttl_s=60)
    started = await env_at(1).run(acts.start_charge, start_input("session-stop"))
    ref = ChargeRef(operator="alpha", charge_id=started.charge_id)
    first = await env_at(1).run(acts.stop_charge, ref)
    second = await env_at(1).run(acts.stop_charge, ref)
    assert first.charge_id == second.charge_id == started.charge_id
    done = await wait_for(acts, started.charge_id, completed)
    again = await env_at(1).run(acts.stop_charge, ref)
    assert again.state == "completed" and again.completed_at == done.completed_at
    assert again.price_minor == done.price_minor
    (truth,) = charges_with(emu, "session-stop")
    assert len(truth["stop_requests"]) == 3  # type: ignore[arg-type]


async def test_attach_payment_and_wallet_transactions(client: MontaClient) -> None:
    acts = MontaActivities(client, "major", tariff_ttl_s=60)
    started = await env_at(1).run(acts.start_charge, start_input("session-pay"))
    ref = ChargeRef(operator="alpha", charge_id=started.charge_id)
    await wait_for(acts, started.charge_id, lambda s: s.consumed_kwh > 0)
    await env_at(1).run(acts.stop_charge, ref)
    done = await wait_for(acts, started.charge_id, completed)
    assert done.price_minor is not None and done.price_minor > 0
    captured = Money(amount_minor=1234, currency="EUR")
    await env_at(1).run(
        acts.attach_payment,
        AttachPaymentInput(
            operator="alpha", charge_id=done.charge_id, payment_session=PAYMENT, captured=captured
        ),
    )
    charge = await client.get_charge(done.charge_id)
    assert charge.generic_payment_session is not None
    assert charge.generic_payment_session.amount == Decimal("12.34")
    assert charge.generic_payment_session.card_last4 == "4242"
    txs = await env_at(1).run(acts.get_charge_transactions, ref)
    assert txs and all(t.reference_id == str(done.charge_id) for t in txs)
    assert all(t.currency == "EUR" for t in txs)


async def test_paging_finds_only_session_charges_across_pages(client: MontaClient) -> None:
    acts = MontaActivities(client, "major", tariff_ttl_s=60, page_size=2)
    since = datetime.now(UTC) - timedelta(seconds=5)
    ids = []
    for point in (101, 102, 103, 104, 105):
        snap = await env_at(1).run(acts.start_charge, start_input(f"session-page-{point}", point))
        ids.append(snap.charge_id)
    stranger = await client.start_charge(
        acts._start_request(start_input("kiosk-not-ours", 108)).model_copy(
            update={"price_limit": None}
        )
    )
    first_page = await client.list_charges(page=0, per_page=2)
    assert first_page.meta.total_page_count == 3 and first_page.meta.total_item_count == 6
    result = await env_at(1).run(
        acts.find_charges_updated_since, FindChargesUpdatedSinceInput(operator="alpha", since=since)
    )
    assert sorted(c.charge_id for c in result.charges) == sorted(ids)
    assert stranger.id not in {c.charge_id for c in result.charges}
    assert result.newest_updated_at is not None and result.newest_updated_at >= since
    capped = await env_at(1).run(
        acts.find_charges_updated_since,
        FindChargesUpdatedSinceInput(operator="alpha", since=since, max_pages=1),
    )
    assert len(capped.charges) == 2


async def test_webhook_config_round_trip(client: MontaClient) -> None:
    config = WebhookConfig(
        webhook_url="https://chargepay.example/v1/webhooks/monta/alpha",
        webhook_secret="alpha-webhook-secret-0001",
        event_types=["charges"],
        custom_headers={"headers": {"X-Chargepay-Operator": "alpha"}},
    )
    saved = await client.put_webhook_config(config)
    assert (saved.webhook_url, saved.event_types) == (config.webhook_url, ["charges"])
    assert await client.get_webhook_config() == saved
    await client.delete_webhook_config()
    assert await client.get_webhook_config() is None
