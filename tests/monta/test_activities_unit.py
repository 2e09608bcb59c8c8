"""Activity logic against the in-process fake: retries that find the lost start, stops that
Monta refuses because the charge already ended, the tariff cache, error mapping."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.monta.activities import MontaActivities
from activities.monta.client import MontaClient
from core.money import Money
from tests.monta.fake_monta import FakeMonta, Route, charge_json, error, page_json
from workflows.contracts import (
    ERR_CHARGE_POINT_UNAVAILABLE,
    ERR_MONTA_CLIENT,
    ERR_MONTA_RATE_LIMITED,
    AttachPaymentInput,
    ChargeRef,
    GetTariffInput,
    PaymentSessionInfo,
    StartChargeInput,
)

PAYMENT = PaymentSessionInfo(
    provider="chargepay", external_id="K7Q2", card_brand="VISA", card_last4="4242"
)


def make(fake: FakeMonta, unit: str = "major", clock: list[float] | None = None) -> MontaActivities:
    client = MontaClient(
        "https://monta.test",
        "alpha-client",
        "s",
        timeout_s=5,
        operator="alpha",
        transport=fake.transport(),
        now=fake.clock,
    )
    ticks = clock if clock is not None else [0.0]
    return MontaActivities(client, unit, tariff_ttl_s=60, monotonic=lambda: ticks[0])  # type: ignore[arg-type]


def start_input(pid: str = "session-alpha-t1-1", **kw: object) -> StartChargeInput:
    fields: dict[str, object] = {
        "operator": "alpha",
        "charge_point_id": 101,
        "paying_team_id": 1001,
        "partner_external_id": pid,
        "kwh_limit": Decimal("600"),
        "price_limit_minor": 2500,
        "currency": "EUR",
        "payment_session": PAYMENT,
    }
    fields.update(kw)
    return StartChargeInput.model_validate(fields)


def env_at(attempt: int) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=attempt)
    return env


async def test_first_attempt_starts_with_monta_units_and_clamped_kwh() -> None:
    fake = FakeMonta()
    sent: list[dict[str, object]] = []

    def start(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content, parse_float=Decimal))
        return httpx.Response(
            200, json=charge_json(11, state="starting", partnerExternalId="session-alpha-t1-1")
        )

    fake.routes["POST /charges"] = start
    snap = await env_at(1).run(make(fake).start_charge, start_input())
    assert snap.charge_id == 11 and snap.state == "starting"
    assert sent[0]["priceLimit"] == Decimal("25.00") and sent[0]["kwhLimit"] == 500
    assert [r.method for r in fake.api_requests()] == ["POST"]  # no lookup on attempt 1


async def test_retry_returns_the_charge_the_lost_attempt_created() -> None:
    fake = FakeMonta()
    other = charge_json(3, partnerExternalId="session-alpha-t1-OTHER")
    mine = charge_json(12, partnerExternalId="session-alpha-t1-1")
    fake.routes["GET /charges"] = lambda r: httpx.Response(
        200, json=page_json([other, mine], 0, 100, 2)
    )
    fake.routes["POST /charges"] = lambda r: pytest.fail("must not start a second charge")
    snap = await env_at(2).run(make(fake).start_charge, start_input())
    assert snap.charge_id == 12
    (lookup,) = fake.api_requests()
    assert lookup.url.params["partnerExternalId"] == "session-alpha-t1-1"


async def test_busy_charge_point_is_non_retryable_charge_point_unavailable() -> None:
    fake = FakeMonta()
    fake.routes["POST /charges"] = lambda r: error(400, "CHARGE_POINT_BUSY")
    with pytest.raises(ApplicationError) as info:
        await env_at(1).run(make(fake).start_charge, start_input())
    assert info.value.type == ERR_CHARGE_POINT_UNAVAILABLE and info.value.non_retryable
    assert list(info.value.details) == ["CHARGE_POINT_BUSY"]


async def test_start_rate_limited_maps_to_retry_delay() -> None:
    fake = FakeMonta()
    fake.routes["POST /charges"] = lambda r: error(
        429, "TOO_MANY_REQUESTS", headers={"RateLimit-ResetsIn": "17"}
    )
    with pytest.raises(ApplicationError) as info:
        await env_at(1).run(make(fake).start_charge, start_input())
    assert info.value.type == ERR_MONTA_RATE_LIMITED and not info.value.non_retryable
    assert info.value.next_retry_delay == timedelta(seconds=17)


@pytest.mark.parametrize(
    ("state", "ok"), [("stopped", True), ("completed", True), ("charging", False)]
)
async def test_stop_refused_for_an_ended_charge_returns_it(state: str, ok: bool) -> None:
    fake = FakeMonta()
    fake.routes["GET /charges/5/stop"] = lambda r: error(400, "CHARGE_ALREADY_STOPPED")
    fake.routes["GET /charges/5"] = lambda r: httpx.Response(200, json=charge_json(5, state=state))
    run = env_at(1).run(make(fake).stop_charge, ChargeRef(operator="alpha", charge_id=5))
    if ok:
        assert (await run).state == state
    else:
        with pytest.raises(ApplicationError) as info:
            await run
        assert info.value.type == ERR_MONTA_CLIENT and info.value.non_retryable


MONEY = {"amount": 45, "currency": {"identifier": "EUR", "decimals": 2}, "locale": "en"}


def point_json(cp_id: int, state: str = "available", group: int = 11) -> dict[str, object]:
    return {"id": cp_id, "name": f"CP {cp_id}", "state": state, "type": "ac", "maxKw": 11,
            "priceGroupId": group}  # fmt: skip


def _answer(body: dict[str, object]) -> Route:
    return lambda request: httpx.Response(200, json=body)


def serve_points(fake: FakeMonta, points: list[dict[str, object]], per_page: int) -> None:
    """GET /charge-points paged like Monta; GET /charge-points/{id} for every point."""

    def listing(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "0"))
        chunk = points[page * per_page : (page + 1) * per_page]
        return httpx.Response(200, json=page_json(chunk, page, per_page, len(points)))

    fake.routes["GET /charge-points"] = listing
    for p in points:
        fake.routes[f"GET /charge-points/{p['id']}"] = _answer(p)
    fake.routes["GET /price-groups/11"] = lambda r: httpx.Response(
        200,
        json={"id": 11, "name": "AC", "masterPrice": {"type": "kwh", "price": MONEY},
              "vatPercentage": 25},
    )  # fmt: skip


def paths(fake: FakeMonta) -> list[str]:
    return [r.url.path.removeprefix("/api/v1") for r in fake.api_requests()]


async def test_tariffs_of_many_points_cost_the_listing_pages_and_one_price_group() -> None:
    fake = FakeMonta()
    serve_points(fake, [point_json(i) for i in range(101, 106)], per_page=2)
    clock = [0.0]
    client = MontaClient("https://monta.test", "alpha-client", "s", timeout_s=5,
                         operator="alpha", transport=fake.transport(), now=fake.clock)  # fmt: skip
    acts = MontaActivities(client, "major", tariff_ttl_s=60, page_size=2,
                           monotonic=lambda: clock[0])  # fmt: skip
    quotes = [
        await env_at(1).run(acts.get_tariff, GetTariffInput(operator="alpha", charge_point_id=i))
        for i in range(101, 106)
    ]
    assert [q.charge_point.id for q in quotes] == list(range(101, 106))
    assert quotes[0].tariff.per_kwh_minor == 45 and quotes[0].tariff.vat_rate == Decimal("0.25")
    assert paths(fake) == ["/charge-points"] * 3 + ["/price-groups/11"]
    clock[0] = 61.0  # past the TTL: one refresh of each
    await env_at(1).run(acts.get_tariff, GetTariffInput(operator="alpha", charge_point_id=103))
    assert paths(fake)[4:] == ["/charge-points"] * 3 + ["/price-groups/11"]


async def test_unlisted_or_listed_busy_point_is_read_on_its_own() -> None:
    fake = FakeMonta()
    serve_points(fake, [point_json(101, state="busy")], per_page=100)
    fake.routes["GET /charge-points/102"] = lambda r: httpx.Response(200, json=point_json(102))
    acts = make(fake)
    busy = await env_at(1).run(
        acts.get_tariff, GetTariffInput(operator="alpha", charge_point_id=101)
    )
    assert not busy.charge_point.available
    await env_at(1).run(acts.get_tariff, GetTariffInput(operator="alpha", charge_point_id=102))
    await env_at(1).run(acts.get_tariff, GetTariffInput(operator="alpha", charge_point_id=102))
    assert paths(fake) == [
        "/charge-points",
        "/charge-points/101",
        "/price-groups/11",
        "/charge-points/102",
    ]  # fmt: skip  (102 cached once read; the busy 101 is never trusted from a cache)


async def test_concurrent_first_quotes_share_one_listing_and_one_price_group_read() -> None:
    fake = FakeMonta()
    serve_points(fake, [point_json(i) for i in range(101, 111)], per_page=100)
    acts = make(fake)
    await asyncio.gather(
        *(
            env_at(1).run(acts.get_tariff, GetTariffInput(operator="alpha", charge_point_id=i))
            for i in range(101, 111)
        )
    )
    assert paths(fake) == ["/charge-points", "/price-groups/11"]


async def test_no_listing_scope_falls_back_to_single_reads() -> None:
    fake = FakeMonta()
    serve_points(fake, [point_json(101)], per_page=100)
    fake.routes["GET /charge-points"] = lambda r: error(403, "INSUFFICIENT_SCOPE")
    quote = await env_at(1).run(
        make(fake).get_tariff, GetTariffInput(operator="alpha", charge_point_id=101)
    )
    assert quote.charge_point.id == 101
    assert paths(fake) == ["/charge-points", "/charge-points/101", "/price-groups/11"]


async def test_attach_payment_sends_the_whole_session_with_amount() -> None:
    fake = FakeMonta()
    sent: list[dict[str, object]] = []

    def patch(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content, parse_float=Decimal))
        return httpx.Response(200, json=charge_json(5))

    fake.routes["PATCH /charges/5"] = patch
    captured = Money(amount_minor=1234, currency="EUR")
    req = AttachPaymentInput(
        operator="alpha", charge_id=5, payment_session=PAYMENT, captured=captured
    )
    await env_at(1).run(make(fake, unit="minor").attach_payment, req)
    assert sent == [
        {
            "genericPaymentSession": {
                "provider": "chargepay",
                "externalId": "K7Q2",
                "cardBrand": "VISA",
                "cardLast4": "4242",
                "amount": 1234,
            }
        }
    ]


async def test_activity_for_another_operator_is_refused() -> None:
    with pytest.raises(ApplicationError) as info:
        await env_at(1).run(make(FakeMonta()).get_charge, ChargeRef(operator="bravo", charge_id=1))
    assert info.value.non_retryable


def test_factory_builds_from_operator_and_settings() -> None:
    from pydantic import SecretStr

    from activities.monta.factory import build_monta_activities
    from core.operators import Operator
    from settings import Settings

    op = Operator(
        key="alpha", name="Alpha", monta_client_id="alpha-client",
        monta_client_secret=SecretStr("s"), default_paying_team_id=1001,
        monta_base_url="http://127.0.0.1:1",
    )  # fmt: skip
    settings = Settings(TIME_SCALE=60, monta_money_unit="minor", monta_token_refresh_margin_s=120)
    acts = build_monta_activities(op, settings)
    assert (acts.operator, acts.money_unit, acts.client.time_scale) == ("alpha", "minor", 60)
    assert acts.client.tokens._margin_s == 2.0  # 120 real-world seconds at 60x
    assert str(acts.client._http.base_url) == "http://127.0.0.1:1/api/v1/"
