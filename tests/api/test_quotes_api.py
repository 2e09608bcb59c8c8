"""The quote route against the Monta emulator: tariff, gross prices, what a hold buys."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from api.errors import ApiError
from api.main import create_app
from api.quotes import QuoteService
from core.operators import load_operators
from settings import Settings
from tests.api.support import auth, new_key
from tests.support.monta_emulator import monta_emulator
from tests.support.processes import free_port


@pytest_asyncio.fixture(scope="module")
async def quote_api(
    temporal_env: WorkflowEnvironment,
    log_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    dev_secrets: None,
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    keys_file = tmp_path_factory.mktemp("qkeys") / "keys.json"
    key = new_key(keys_file, "Q1", [101, 108])
    with monta_emulator(log_dir, time_scale=60) as monta:
        settings = Settings(
            terminal_keys_file=keys_file, monta_base_url=monta.url, api_retention_check="off"
        )
        app = create_app(settings, temporal_client=temporal_env.client)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
            yield http, key


async def test_quote_shows_tariff_and_budget(quote_api: tuple[httpx.AsyncClient, str]) -> None:
    http, key = quote_api
    r = await http.get("/v1/charge-points/101/quote?amount=1500&currency=EUR", headers=auth(key))
    assert r.status_code == 200, r.text
    q = r.json()
    assert q["tariff"]["currency"] == "EUR" and q["tariff"]["per_kwh_minor"] > 0
    vat = Decimal(q["tariff"]["vat_rate"])
    assert Decimal(q["gross"]["per_kwh_minor"]) == q["tariff"]["per_kwh_minor"] * (1 + vat)
    assert Decimal(q["budget"]["kwh_budget"]) > 0
    assert q["budget"]["price_limit"] == {"amount_minor": 1500, "currency": "EUR"}
    bare = await http.get("/v1/charge-points/101/quote", headers=auth(key))
    assert bare.status_code == 200 and bare.json()["budget"] is None


async def test_quote_rejections(quote_api: tuple[httpx.AsyncClient, str]) -> None:
    http, key = quote_api
    r = await http.get("/v1/charge-points/108/quote?amount=5000&currency=EUR", headers=auth(key))
    assert r.status_code == 422 and r.json()["details"]["reason"] == "currency_mismatch"
    r = await http.get("/v1/charge-points/101/quote?amount=50&currency=EUR", headers=auth(key))
    assert r.status_code == 422 and r.json()["details"]["reason"] == "budget_too_small"
    r = await http.get("/v1/charge-points/102/quote", headers=auth(key))
    assert r.status_code == 403
    # Without a currency the amount is in the point's: the same budget rule applies.
    r = await http.get("/v1/charge-points/101/quote?amount=50", headers=auth(key))
    assert r.status_code == 422 and r.json()["details"]["reason"] == "budget_too_small"
    r = await http.get("/v1/charge-points/101/quote?amount=1500", headers=auth(key))
    assert r.status_code == 200
    assert r.json()["budget"]["price_limit"] == {"amount_minor": 1500, "currency": "EUR"}


async def test_the_tariff_for_a_start_or_none(
    log_dir: Path, dev_secrets: None, caplog: pytest.LogCaptureFixture
) -> None:
    """The API reads the tariff for the session (one activity fewer); a tariff it cannot read
    is left to the session, which reads it and judges the failure as before. A point Monta
    does not show this operator is refused at once."""
    with monta_emulator(log_dir, time_scale=60) as monta:
        settings = Settings(monta_base_url=monta.url, api_retention_check="off")
        operator = load_operators(settings.operators_file)["alpha"]
        service = QuoteService(settings)
        try:
            carried = await service.tariff_for_start(operator, 101)
            assert carried is not None
            assert carried == await service.tariff(operator, 101)
            assert carried.charge_point.id == 101 and carried.tariff.per_kwh_minor > 0
            with pytest.raises(ApiError) as refused:  # Monta: 404, not this operator's point
                await service.tariff_for_start(operator, 987654)
            assert (refused.value.status, refused.value.error) == (403, "charge_point_not_allowed")
        finally:
            await service.aclose()
    down = Settings(monta_base_url=f"http://127.0.0.1:{free_port()}", api_retention_check="off")
    service = QuoteService(down)
    try:
        assert await service.tariff_for_start(operator, 101) is None  # Monta unreachable
        assert "tariff of CP 101 not read for a start" in caplog.text
    finally:
        await service.aclose()
