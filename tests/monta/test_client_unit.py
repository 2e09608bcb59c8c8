"""The client's own logic against an in-process fake (no network): headers, tokens, query
rendering, Decimal bodies, paging, typed errors."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest

from activities.monta.client import MontaClient, monta_datetime
from activities.monta.errors import (
    MontaClientError,
    MontaRateLimited,
    MontaServerError,
    MontaTransportError,
)
from activities.monta.models import GenericPaymentSession, StartChargeRequest
from tests.monta.fake_monta import FakeMonta, charge_json, error, page_json


def make_client(fake: FakeMonta, *, margin_s: float = 120, time_scale: float = 1.0) -> MontaClient:
    return MontaClient(
        "https://monta.test",
        "alpha-client",
        "alpha-secret",
        timeout_s=5,
        refresh_margin_s=margin_s,
        operator="alpha",
        time_scale=time_scale,
        transport=fake.transport(),
        now=fake.clock,
    )


def test_monta_datetime_is_utc_seconds_with_z() -> None:
    cet = timezone(timedelta(hours=1))
    assert monta_datetime(datetime(2024, 5, 1, 13, 2, 3, 999_999, tzinfo=cet)) == (
        "2024-05-01T12:02:03Z"
    )
    assert monta_datetime(datetime(2024, 5, 1, 12, 2, 3)) == "2024-05-01T12:02:03Z"


async def test_every_request_sends_version_and_bearer_and_uses_api_prefix() -> None:
    fake = FakeMonta()
    fake.routes["GET /charges/7"] = lambda r: httpx.Response(200, json=charge_json(7))
    async with make_client(fake) as client:
        charge = await client.get_charge(7)
    assert charge.id == 7
    for req in fake.requests:
        assert req.headers["Monta-Version"] == "v1"
        assert req.url.path.startswith("/api/v1/")
    (api,) = fake.api_requests()
    assert api.headers["Authorization"] == "Bearer access-1"


async def test_concurrent_callers_refresh_once_before_expiry() -> None:
    fake = FakeMonta(ttl=timedelta(minutes=10))
    fake.routes["GET /charges/1"] = lambda r: httpx.Response(200, json=charge_json(1))
    async with make_client(fake, margin_s=120) as client:
        await client.get_charge(1)
        assert (fake.logins, fake.refreshes) == (1, 0)
        fake.now += timedelta(minutes=8, seconds=30)  # inside the 120 s margin, not expired
        await asyncio.gather(*(client.get_charge(1) for _ in range(20)))
        assert (fake.logins, fake.refreshes) == (1, 1)
        tokens = {r.headers["Authorization"] for r in fake.api_requests()[1:]}
        assert tokens == {"Bearer access-2"}


async def test_refused_refresh_falls_back_to_client_credentials() -> None:
    fake = FakeMonta(ttl=timedelta(minutes=10), refuse_refresh=True)
    fake.routes["GET /charges/1"] = lambda r: httpx.Response(200, json=charge_json(1))
    async with make_client(fake) as client:
        await client.get_charge(1)
        fake.now += timedelta(minutes=9)
        await client.get_charge(1)
    assert fake.logins == 2
    assert client.tokens.fetches == 2


async def test_rejected_token_is_dropped_and_the_call_retried_once() -> None:
    fake = FakeMonta()
    fake.routes["GET /charges/1"] = lambda r: httpx.Response(200, json=charge_json(1))
    async with make_client(fake) as client:
        await client.get_charge(1)
        fake.valid_tokens.clear()  # Monta revoked it early
        charge = await client.get_charge(1)
        assert charge.id == 1
        assert fake.refreshes == 1
        fake.routes["GET /charges/2"] = lambda r: error(401, "INVALID_ACCESS_TOKEN")
        with pytest.raises(MontaClientError) as info:
            await client.get_charge(2)  # retried once, then given up
    assert info.value.error_code == "INVALID_ACCESS_TOKEN"
    assert [r.url.path for r in fake.api_requests()].count("/api/v1/charges/2") == 2


async def test_start_sends_exact_decimals_and_accepts_both_response_shapes() -> None:
    fake = FakeMonta()
    bodies: list[dict[str, object]] = []
    shapes = iter([charge_json(5), {"charge": charge_json(6)}])

    def start(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content, parse_float=Decimal))
        return httpx.Response(200, json=next(shapes))

    fake.routes["POST /charges"] = start
    request = StartChargeRequest(
        paying_team_id=1001,
        charge_point_id=101,
        kwh_limit=Decimal("20.125"),
        price_limit=Decimal("12.10"),
        partner_external_id="session-alpha-t1-x",
        generic_payment_session=GenericPaymentSession(
            provider="chargepay", external_id="AB12", card_brand="VISA", card_last4="4242"
        ),
    )
    async with make_client(fake) as client:
        first = await client.start_charge(request)
        second = await client.start_charge(request)
    assert (first.id, second.id) == (5, 6)
    assert first.price == Decimal("12.4") and isinstance(first.price, Decimal)
    sent = fake.api_requests()[0].content.decode()
    assert '"priceLimit":12.10' in sent and '"kwhLimit":20.125' in sent
    assert bodies[0]["genericPaymentSession"] == {
        "provider": "chargepay",
        "externalId": "AB12",
        "cardBrand": "VISA",
        "cardLast4": "4242",
    }
    assert "reserveCharge" not in bodies[0]


async def test_list_charges_renders_filters_and_iter_walks_every_page() -> None:
    fake = FakeMonta()
    all_charges = [charge_json(i) for i in range(1, 8)]

    def list_charges(request: httpx.Request) -> httpx.Response:
        page, per = int(request.url.params["page"]), int(request.url.params["perPage"])
        chunk = all_charges[page * per : (page + 1) * per]
        return httpx.Response(200, json=page_json(chunk, page, per, len(all_charges)))

    fake.routes["GET /charges"] = list_charges
    since = datetime(2024, 5, 1, 10, 0, 0, 500_000, tzinfo=UTC)
    async with make_client(fake) as client:
        ids = [c.id async for c in client.iter_charges(per_page=3, from_updated=since)]
        capped = [c.id async for c in client.iter_charges(per_page=3, max_pages=2)]
    assert ids == list(range(1, 8))
    assert capped == list(range(1, 7))
    first = fake.api_requests()[0].url.params
    assert first["fromUpdatedDate"] == "2024-05-01T10:00:00Z"
    assert "partnerExternalId" not in first


async def test_errors_are_typed_from_the_body_and_headers() -> None:
    fake = FakeMonta()
    fake.routes["GET /charges/1"] = lambda r: error(
        429,
        "TOO_MANY_REQUESTS",
        headers={"RateLimit-ResetsIn": "120"},
        context={"rateLimitResponse": {"resetsIn": 999}},
    )
    fake.routes["GET /charges/2"] = lambda r: error(
        429, "TOO_MANY_REQUESTS", context={"rateLimitResponse": {"resetsIn": 30}}
    )
    fake.routes["GET /charges/3"] = lambda r: httpx.Response(503, text="upstream down")
    fake.routes["GET /charges/4"] = lambda r: error(400, "BAD_REQUEST", readableMessage="nope")

    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    fake.routes["GET /charges/5"] = boom
    async with make_client(fake, time_scale=60) as client:
        with pytest.raises(MontaRateLimited) as limited:
            await client.get_charge(1)
        with pytest.raises(MontaRateLimited) as limited_body:
            await client.get_charge(2)
        with pytest.raises(MontaServerError) as server:
            await client.get_charge(3)
        with pytest.raises(MontaClientError) as bad:
            await client.get_charge(4)
        with pytest.raises(MontaTransportError) as slow:
            await client.get_charge(5)
    assert limited.value.resets_in_s == 120 and limited.value.retry_after_s == 2
    assert limited_body.value.resets_in_s == 30
    assert server.value.http_status == 503 and server.value.error_code is None
    assert (bad.value.error_code, bad.value.readable_message) == ("BAD_REQUEST", "nope")
    assert slow.value.is_timeout
    assert client.metrics.rate_limited["get-charge"] == 2
    assert client.metrics.requests[("get-charge", "transport")] == 1


async def test_webhook_config_absent_is_none() -> None:
    fake = FakeMonta()
    async with make_client(fake) as client:
        assert await client.get_webhook_config() is None
