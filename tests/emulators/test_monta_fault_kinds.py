"""The Monta emulator's fault kinds over real HTTP: 4xx refusals, work that lands after the
client gave up (timeout_then_commit), and rules firing on exactly the intended calls."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.monta_emulator import (
    FIND,
    READ,
    RECEIPT,
    START,
    MontaEmulator,
    http_fault,
    monta_emulator,
)

pytestmark = pytest.mark.integration
SCALE = 600.0
DELAY_S = 1.5  # the hold of a timeout_then_commit: long enough to read during it


@pytest.fixture(scope="module")
def emu(log_dir: Path) -> Iterator[MontaEmulator]:
    with monta_emulator(log_dir, time_scale=SCALE) as e:
        yield e


@pytest.fixture
def http(emu: MontaEmulator) -> Iterator[httpx.Client]:
    emu.reset()
    headers = {"Authorization": f"Bearer {emu.token()}"}
    with httpx.Client(base_url=emu.base_url, timeout=10.0, headers=headers) as client:
        yield client


def _start(http: httpx.Client, point: int, ext: str, **kw: Any) -> httpx.Response:
    body = {"chargePointId": point, "payingTeamId": 1001, "partnerExternalId": ext}
    return http.post("/charges", json=body, **kw)


def _found(http: httpx.Client, ext: str) -> int:
    page = http.get("/charges", params={"partnerExternalId": ext}).json()
    return int(page["meta"]["totalItemCount"])


def _wait_found(http: httpx.Client, ext: str, timeout_s: float = 10.0) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if n := _found(http, ext):
            return n
        time.sleep(0.05)
    raise AssertionError(f"no charge {ext} appeared")


def test_4xx_defaults_to_a_monta_shaped_400_and_does_no_work(
    emu: MontaEmulator, http: httpx.Client
) -> None:
    emu.set_faults([http_fault(START, "4xx", count=1)])
    refused = _start(http, 101, "refused-1")
    assert refused.status_code == 400
    assert refused.json() == {
        "status": "BAD_REQUEST",
        "message": "Injected fault: BAD_REQUEST",
        "errorCode": "BAD_REQUEST",
        "readableMessage": "The request could not be completed",
        "context": {"injectedFault": "4xx"},
    }
    assert _found(http, "refused-1") == 0
    assert emu.truth()["charges"] == []
    assert _start(http, 101, "refused-1").status_code == 200


def test_4xx_status_and_code_are_the_rules(emu: MontaEmulator, http: httpx.Client) -> None:
    charge_id = _start(http, 101, "patch-1").json()["id"]
    emu.set_faults(
        [
            http_fault(RECEIPT, "4xx", status=404, error_code="RESOURCE_NOT_FOUND"),
            http_fault(READ, "4xx", status=422, error_code="CHARGE_NOT_PATCHABLE"),
        ]
    )
    patched = http.patch(f"/charges/{charge_id}", json={"partnerExternalId": "x"})
    assert patched.status_code == 404
    assert patched.json()["status"] == "NOT_FOUND"
    assert patched.json()["errorCode"] == "RESOURCE_NOT_FOUND"
    read = http.get(f"/charges/{charge_id}")
    assert (read.status_code, read.json()["errorCode"]) == (422, "CHARGE_NOT_PATCHABLE")
    assert read.json()["status"] == "UNPROCESSABLE_ENTITY"
    emu.set_faults([])
    assert http.get(f"/charges/{charge_id}").json()["partnerExternalId"] == "patch-1"


def test_5xx_status_is_configurable(emu: MontaEmulator, http: httpx.Client) -> None:
    emu.set_faults([http_fault(FIND, "5xx", status=503)])
    answer = http.get("/charges")
    assert answer.status_code == 503
    assert answer.json()["errorCode"] == "SERVICE_UNAVAILABLE"


@pytest.mark.parametrize(
    "rule",
    [
        http_fault(START, "4xx", status=503),
        http_fault(START, "5xx", status=404),
        http_fault(START, "4xx", status=429),
        http_fault(START, "slow", status=400),
        http_fault(START, "4xx", skip=-1),
        http_fault("create-charge", "5xx"),  # not an operationId the emulator serves
    ],
)
def test_malformed_rules_are_refused(emu: MontaEmulator, rule: dict[str, Any]) -> None:
    answer = httpx.put(f"{emu.url}/_emulator/faults", json={"http": [rule]})
    assert answer.status_code == 400, answer.text


async def test_timeout_then_commit_lands_after_the_caller_got_504(
    emu: MontaEmulator, http: httpx.Client
) -> None:
    emu.set_faults([http_fault(START, "timeout_then_commit", count=1, delay_s=DELAY_S)])
    headers = dict(http.headers)
    body = {"chargePointId": 103, "payingTeamId": 1001, "partnerExternalId": "late-1"}
    async with httpx.AsyncClient(base_url=emu.base_url, headers=headers, timeout=10.0) as client:
        started = asyncio.create_task(client.post("/charges", json=body))
        await asyncio.sleep(DELAY_S / 3)
        during = await client.get("/charges", params={"partnerExternalId": "late-1"})
        answer = await started
    assert during.json()["meta"]["totalItemCount"] == 0  # nothing visible during the hold
    assert answer.status_code == 504
    assert answer.json()["errorCode"] == "GATEWAY_TIMEOUT"
    assert _found(http, "late-1") == 1  # but the start was done
    assert emu.faults()["fired"] == {"start-charge:timeout_then_commit": 1}


def test_timeout_then_commit_lands_after_the_client_hung_up(
    emu: MontaEmulator, http: httpx.Client
) -> None:
    emu.set_faults([http_fault(START, "timeout_then_commit", count=1, delay_s=DELAY_S)])
    with pytest.raises(httpx.ReadTimeout):
        _start(http, 104, "late-2", timeout=0.3)
    assert _found(http, "late-2") == 0  # a lookup right after the timeout finds nothing
    assert _wait_found(http, "late-2") == 1
    retry = _start(http, 104, "late-2")  # the first start took the point meanwhile
    assert (retry.status_code, retry.json()["errorCode"]) == (400, "CHARGE_POINT_BUSY")


def test_skip_and_count_fire_on_exactly_the_intended_calls(
    emu: MontaEmulator, http: httpx.Client
) -> None:
    emu.set_faults([http_fault(FIND, "5xx", skip=1, count=2)])
    assert [http.get("/charges").status_code for _ in range(4)] == [200, 500, 500, 200]
    rule = emu.faults()["http"][0]
    assert (rule["matched"], rule["fired"], rule["count"]) == (4, 2, 0)


def test_skip_counts_calls_other_rules_took(emu: MontaEmulator, http: httpx.Client) -> None:
    """`skip` counts the operation's calls, so rules compose into an exact per-call script."""
    emu.set_faults(
        [
            http_fault(START, "5xx", count=1),
            http_fault(START, "4xx", skip=2, count=1, error_code="CHARGE_POINT_OFFLINE"),
        ]
    )
    codes = [_start(http, p, f"script-{p}").status_code for p in (101, 102, 103, 105)]
    assert codes == [500, 200, 400, 200]
    assert [r["fired"] for r in emu.faults()["http"]] == [1, 1]


def test_unlimited_5xx_never_lets_a_call_through(emu: MontaEmulator, http: httpx.Client) -> None:
    emu.set_faults([http_fault(START, "5xx")])
    assert {_start(http, 101, f"never-{i}").status_code for i in range(5)} == {500}
    assert emu.truth()["charges"] == []
