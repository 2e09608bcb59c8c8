"""Token lifetimes and rate limits against emulators configured to make them bite quickly."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.monta.activities import MontaActivities
from activities.monta.errors import MontaRateLimited
from tests.monta.conftest import alpha_client
from tests.support.monta_emulator import MontaEmulator, monta_emulator
from workflows.contracts import ERR_MONTA_RATE_LIMITED, ChargeRef

pytestmark = pytest.mark.integration
SCALE = 100.0  # access token: 200 s real = 2 s wall; refresh token: 300 s real = 3 s wall
ACCESS_WALL_S = 2.0
REFRESH_WALL_S = 3.0


@pytest.fixture(scope="module")
def short_tokens(log_dir: Path) -> Iterator[MontaEmulator]:
    env = {
        "MONTA_EMU_TOKEN_TTL_S": str(ACCESS_WALL_S * SCALE),
        "MONTA_EMU_REFRESH_TTL_S": str(REFRESH_WALL_S * SCALE),
    }
    with monta_emulator(log_dir, time_scale=SCALE, env=env) as emu:
        yield emu


async def test_concurrent_calls_refresh_the_token_once(short_tokens: MontaEmulator) -> None:
    async with alpha_client(short_tokens, refresh_margin_s=0.5) as client:
        await client.get_consumer()
        # Past the refresh point (expiry - margin), still inside the refresh token's life.
        await asyncio.sleep(ACCESS_WALL_S - 0.5 + 0.1)
        consumers = await asyncio.gather(*(client.get_consumer() for _ in range(10)))
        assert {c.client_id for c in consumers} == {"alpha-client"}
        assert (client.tokens.fetches, client.tokens.refreshes) == (1, 1)
        assert not any(status == "401" for (_, status) in client.metrics.requests)


async def test_expired_token_and_refused_refresh_fall_back_to_login(
    short_tokens: MontaEmulator,
) -> None:
    # A client whose clock runs 10 s slow believes its tokens are fresh when Monta does not:
    # Monta answers 401, the refresh is refused too, and the client logs in again.
    def slow_clock() -> datetime:
        return datetime.now(UTC) - timedelta(seconds=10)

    async with alpha_client(short_tokens, now=slow_clock) as client:
        await client.get_consumer()
        await asyncio.sleep(REFRESH_WALL_S + 0.2)
        consumer = await client.get_consumer()
    assert consumer.client_id == "alpha-client"
    assert client.metrics.requests[("get-current-consumer", "401")] == 1
    assert client.metrics.requests[("get-access-token-with-refresh-token", "401")] == 1
    assert (client.tokens.fetches, client.tokens.refreshes) == (2, 0)


async def test_rate_limit_maps_to_retry_after_resets_in(log_dir: Path) -> None:
    scale = 10.0
    env = {"MONTA_EMU_RATE_LIMIT": "3", "MONTA_EMU_RATE_WINDOW_S": "600"}
    with monta_emulator(log_dir, time_scale=scale, env=env) as emu:
        async with alpha_client(emu, time_scale=scale) as client:
            for _ in range(3):
                await client.get_consumer()
            with pytest.raises(MontaRateLimited) as limited:
                await client.get_consumer()
            acts = MontaActivities(client, "major", tariff_ttl_s=60)
            activity_env = ActivityEnvironment()
            activity_env.info = dataclasses.replace(activity_env.info, attempt=3)
            with pytest.raises(ApplicationError) as mapped:
                await activity_env.run(acts.get_charge, ChargeRef(operator="alpha", charge_id=1))
        rate = emu.truth()["rate"]["alpha-client"]
    resets_in = limited.value.resets_in_s
    assert resets_in is not None and 0 < resets_in <= 600
    assert limited.value.retry_after_s == resets_in / scale
    assert mapped.value.type == ERR_MONTA_RATE_LIMITED and not mapped.value.non_retryable
    delay = mapped.value.next_retry_delay
    assert delay is not None and timedelta(0) < delay <= timedelta(seconds=600 / scale)
    assert client.metrics.rate_limited == {"get-current-consumer": 1, "get-charge": 1}
    assert rate["count_429"] == 2
