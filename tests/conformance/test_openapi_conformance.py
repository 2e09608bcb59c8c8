"""The Monta emulator against Monta's own OpenAPI spec: live requests and responses,
success and error bodies alike, validated with openapi-core for every operation chargepay uses."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conformance.openapi_adapter import SPEC_SHA256, operations, spec_digest, validate
from tests.support.monta_emulator import ALPHA, BRAVO, LIMITED, MontaEmulator, monta_emulator
from tests.support.processes import free_port

pytestmark = pytest.mark.integration

REQUIRED_OPERATIONS = {
    "get-access-token-with-client-credentials",
    "get-access-token-with-refresh-token",
    "get-current-consumer",
    "get-charge-points",
    "get-charge-point",
    "start-charge",
    "get-charges",
    "get-charge",
    "stop-charge",
    "patch-charge",
    "get-wallet-transactions",
    "get-webhook-config",
    "update-webhook-config",
    "delete-webhook-config",
    "get-webhook-entries",
}
COVERED: set[str] = set()  # filled at import time by @covers


def covers(*operation_ids: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def mark(fn: Callable[..., None]) -> Callable[..., None]:
        COVERED.update(operation_ids)
        return fn

    return mark


def _template_regex(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")


_OPS = [(op, method, _template_regex(path)) for op, (method, path) in operations().items()]


def operation_of(response: httpx.Response) -> str:
    method, path = response.request.method, response.request.url.path
    hits = [op for op, m, rx in _OPS if m == method and rx.match(path)]
    # Literal segments beat templates (/charges/insights vs /charges/{chargeId}).
    hits.sort(key=lambda op: operations()[op][1].count("{"))
    assert hits, f"{method} {path} is not an operation of the spec"
    return hits[0]


def assert_error_body(response: httpx.Response, error_code: str | None = None) -> None:
    """Monta's error shape; the spec only says `type: object`, so check it here."""
    body = response.json()
    assert body["status"] == HTTPStatus(response.status_code).name
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["errorCode"], str) and body["errorCode"]
    assert set(body) <= {"status", "message", "errorCode", "readableMessage", "context"}
    if "readableMessage" in body:
        assert isinstance(body["readableMessage"], str)
    if "context" in body:
        assert isinstance(body["context"], dict)
    if error_code is not None:
        assert body["errorCode"] == error_code


class Api:
    def __init__(self, emu: MontaEmulator) -> None:
        self.emu = emu
        self.client = httpx.Client(base_url=emu.url, timeout=10.0)
        self.tokens: dict[str, str] = {}

    def token(self, cred: tuple[str, str] = ALPHA) -> str:
        if cred[0] not in self.tokens:
            self.tokens[cred[0]] = self.emu.token(*cred)
        return self.tokens[cred[0]]

    def call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        status: int,
        error_code: str | None = None,
        cred: tuple[str, str] | None = ALPHA,
        invalid: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        """`invalid=True`: the request breaks the spec on purpose (the answer must not)."""
        headers = {"Monta-Version": "v1", **kwargs.pop("headers", {})}
        if cred is not None:
            headers["Authorization"] = f"Bearer {self.token(cred)}"
        resp = self.client.request(method, "/api/v1" + path, headers=headers, **kwargs)
        assert operation_of(resp) == operation
        assert resp.status_code == status, resp.text
        validate(resp, request_is_valid=not invalid)
        if status >= 400:
            assert_error_body(resp, error_code)
        assert resp.headers["RateLimit-Quota"]
        return resp


@pytest.fixture(scope="module")
def emu(log_dir: Path) -> Iterator[MontaEmulator]:
    env = {"MONTA_EMU_PLUG_DELAY_S": "5", "MONTA_EMU_COMPLETE_DELAY_S": "10"}
    with monta_emulator(log_dir, time_scale=120.0, env=env) as e:
        yield e


@pytest.fixture(scope="module")
def api(emu: MontaEmulator) -> Api:
    return Api(emu)


def _start(api: Api, point: int = 101, **extra: Any) -> dict[str, Any]:
    body = {"chargePointId": point, "payingTeamId": 1001, **extra}
    data: dict[str, Any] = api.call(
        "start-charge", "POST", "/charges", status=200, json=body
    ).json()
    return data


def _wait_state(api: Api, charge_id: int, states: set[str], timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        charge = api.call("get-charge", "GET", f"/charges/{charge_id}", status=200).json()
        if charge["state"] in states or time.monotonic() > deadline:
            return charge
        time.sleep(0.1)


def test_vendored_spec_is_unmodified() -> None:
    assert spec_digest() == SPEC_SHA256


def test_every_required_operation_has_a_case() -> None:
    assert REQUIRED_OPERATIONS <= set(operations()), "operationIds missing from the spec"
    missing = REQUIRED_OPERATIONS - COVERED
    assert not missing, f"no conformance case for {sorted(missing)}"


@covers("get-access-token-with-client-credentials")
def test_token(api: Api) -> None:
    op = "get-access-token-with-client-credentials"
    body = {"clientId": ALPHA[0], "clientSecret": ALPHA[1]}
    api.call(op, "POST", "/auth/token", status=200, cred=None, json=body)
    bad = {"clientId": ALPHA[0], "clientSecret": "wrong"}
    api.call(
        op, "POST", "/auth/token", status=401, error_code="CONSUMER_NOT_FOUND", cred=None, json=bad
    )
    api.call(
        op,
        "POST",
        "/auth/token",
        status=400,
        error_code="BAD_REQUEST",
        cred=None,
        invalid=True,
        content=b'{"clientId": "x"}',
        headers={"Content-Type": "application/json"},
    )


@covers("get-access-token-with-refresh-token")
def test_refresh_rotates(api: Api) -> None:
    op = "get-access-token-with-refresh-token"
    first = api.client.post(
        "/api/v1/auth/token", json={"clientId": ALPHA[0], "clientSecret": ALPHA[1]}
    ).json()
    new = api.call(
        op,
        "POST",
        "/auth/refresh",
        status=200,
        cred=None,
        json={"refreshToken": first["refreshToken"]},
    ).json()
    assert new["refreshToken"] != first["refreshToken"]
    api.call(
        op,
        "POST",
        "/auth/refresh",
        status=401,
        error_code="INVALID_ACCESS_TOKEN",
        cred=None,
        json={"refreshToken": first["refreshToken"]},
    )


@covers("get-current-consumer", "get-auth-information")
def test_consumer(api: Api) -> None:
    me = api.call("get-current-consumer", "GET", "/consumers/me", status=200).json()
    assert me["clientId"] == ALPHA[0] and me["operatorId"] == 1
    api.call("get-auth-information", "GET", "/auth/me", status=200)
    api.client.headers["Authorization"] = "Bearer not-a-token"
    try:
        resp = api.client.get("/api/v1/consumers/me")
    finally:
        del api.client.headers["Authorization"]
    assert resp.status_code == 401
    validate(resp)
    assert_error_body(resp, "INVALID_ACCESS_TOKEN")


@covers("get-charge-points")
def test_charge_points(api: Api) -> None:
    op = "get-charge-points"
    page = api.call(op, "GET", "/charge-points", status=200, params={"perPage": 3}).json()
    assert page["meta"]["totalItemCount"] == 8 and len(page["data"]) == 3
    last = api.call(
        op, "GET", "/charge-points", status=200, params={"page": 2, "perPage": 3}
    ).json()
    assert [p["id"] for p in last["data"]] == [107, 108]
    api.call(op, "GET", "/charge-points", status=400, params={"perPage": 101})
    api.call(op, "GET", "/charge-points", status=403, error_code="ACCESS_FORBIDDEN", cred=LIMITED)


@covers("get-charge-point")
def test_charge_point(api: Api) -> None:
    op = "get-charge-point"
    point = api.call(op, "GET", "/charge-points/103", status=200).json()
    assert point["type"] == "dc" and point["maxKw"] == 50
    api.call(op, "GET", "/charge-points/201", status=404, error_code="RESOURCE_NOT_FOUND")
    api.call(op, "GET", "/charge-points/abc", status=400, error_code="BAD_REQUEST", invalid=True)


@covers("getPriceGroup")
def test_price_group(api: Api) -> None:
    group = api.call("getPriceGroup", "GET", "/price-groups/13", status=200).json()
    kinds = {f["type"] for f in group["fees"]}
    assert group["masterPrice"]["price"]["amount"] == 59 and kinds == {"starting", "minute"}
    api.call("getPriceGroup", "GET", "/price-groups/21", status=404)


@covers("start-charge")
def test_start_charge_and_refusals(api: Api) -> None:
    op = "start-charge"
    charge = _start(
        api,
        102,
        kwhLimit=10,
        priceLimit=25.5,
        partnerExternalId="conf-start",
        genericPaymentSession={
            "provider": "chargepay",
            "externalId": "A1B2",
            "cardBrand": "VISA",
            "cardLast4": "4242",
        },
    )
    assert charge["state"] == "starting" and charge["priceLimit"] == 25.5
    assert charge["genericPaymentSession"]["cardLast4"] == "4242"
    refusals: list[tuple[dict[str, Any], int, str, tuple[str, str]]] = [
        ({"chargePointId": 102, "payingTeamId": 1001}, 400, "CHARGE_POINT_BUSY", ALPHA),
        ({"chargePointId": 106, "payingTeamId": 1001}, 400, "CHARGE_POINT_BUSY", ALPHA),
        ({"chargePointId": 107, "payingTeamId": 1001}, 400, "CHARGE_POINT_OFFLINE", ALPHA),
        ({"chargePointId": 999, "payingTeamId": 1001}, 404, "RESOURCE_NOT_FOUND", ALPHA),
        ({"chargePointId": 201, "payingTeamId": 1001}, 404, "RESOURCE_NOT_FOUND", ALPHA),
        ({"chargePointId": 103, "payingTeamId": 2001}, 404, "RESOURCE_NOT_FOUND", ALPHA),
        ({"chargePointId": 103, "payingTeamId": 1001}, 403, "ACCESS_FORBIDDEN", LIMITED),
        ({"chargePointId": 201, "payingTeamId": 2001, "kwhLimit": 0.5}, 400, "BAD_REQUEST", BRAVO),
    ]
    for body, status, code, cred in refusals:
        invalid = body.get("kwhLimit") == 0.5
        api.call(
            op,
            "POST",
            "/charges",
            status=status,
            error_code=code,
            cred=cred,
            json=body,
            invalid=invalid,
        )
    api.call(
        op,
        "POST",
        "/charges",
        status=400,
        error_code="BAD_REQUEST",
        cred=BRAVO,
        invalid=True,
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )


@covers("get-charge", "get-charges")
def test_read_charges(api: Api) -> None:
    charge = _start(api, 103, partnerExternalId="conf-read")
    got = api.call("get-charge", "GET", f"/charges/{charge['id']}", status=200).json()
    assert got["id"] == charge["id"]
    api.call("get-charge", "GET", f"/charges/{charge['id']}", status=404, cred=BRAVO)
    api.call("get-charge", "GET", "/charges/1", status=404, error_code="RESOURCE_NOT_FOUND")
    page = api.call(
        "get-charges",
        "GET",
        "/charges",
        status=200,
        params={
            "partnerExternalId": "conf-read",
            "perPage": 100,
            "fromDate": "2024-01-01T00:00:00Z",
        },
    ).json()
    assert [c["id"] for c in page["data"]] == [charge["id"]]
    assert page["meta"] == {
        "itemCount": 1,
        "currentPage": 0,
        "perPage": 100,
        "totalPageCount": 1,
        "totalItemCount": 1,
    }
    api.call("get-charges", "GET", "/charges", status=200, params={"state": "charging"})
    api.call(
        "get-charges", "GET", "/charges", status=400, params={"fromDate": "yesterday"}, invalid=True
    )
    api.call(
        "get-charges", "GET", "/charges", status=400, params={"state": "exploded"}, invalid=True
    )


@covers("stop-charge", "patch-charge", "get-wallet-transactions")
def test_stop_patch_and_wallet(api: Api) -> None:
    charge = _start(api, 104, partnerExternalId="conf-stop")
    _wait_state(api, charge["id"], {"charging"})
    path = f"/charges/{charge['id']}"
    stopped = api.call("stop-charge", "GET", path + "/stop", status=200).json()
    assert stopped["state"] == "stopping"
    again = api.call("stop-charge", "GET", path + "/stop", status=200).json()  # idempotent
    assert again["id"] == charge["id"]
    api.call("stop-charge", "GET", "/charges/424242/stop", status=404)
    done = _wait_state(api, charge["id"], {"completed"})
    assert done["state"] == "completed" and done["consumedKwh"] > 0
    gps = {
        "provider": "chargepay",
        "externalId": "X9",
        "cardBrand": "MASTERCARD",
        "cardLast4": "5454",
        "amount": done["price"],
    }
    patched = api.call(
        "patch-charge",
        "PATCH",
        path,
        status=200,
        json={"genericPaymentSession": gps, "partnerCustomPayload": {"k": 1}},
    ).json()
    assert patched["genericPaymentSession"] == {**gps, "partnerExternalId": None}
    api.call(
        "patch-charge",
        "PATCH",
        path,
        status=400,
        json={"genericPaymentSession": {"provider": "x"}},
        invalid=True,
    )
    api.call("patch-charge", "PATCH", path, status=403, cred=LIMITED, json={})
    txs = api.call(
        "get-wallet-transactions",
        "GET",
        "/wallet-transactions",
        status=200,
        params={"referenceType": "CHARGE", "referenceId": str(charge["id"])},
    ).json()
    assert len(txs["data"]) == 1
    tx = txs["data"][0]
    assert tx["fromType"] == "team" and tx["toType"] == "operator"
    assert tx["fromAmount"] == done["price"]
    api.call(
        "get-wallet-transactions",
        "GET",
        "/wallet-transactions",
        status=400,
        params={"fromDate": "2024-01-01"},
        invalid=True,
    )
    api.call("get-wallet-transactions", "GET", "/wallet-transactions", status=403, cred=LIMITED)


@covers(
    "update-webhook-config", "get-webhook-config", "get-webhook-entries", "delete-webhook-config"
)
def test_webhook_config(api: Api) -> None:
    # https to a closed loopback port: spec-valid URL, deliveries fail harmlessly.
    url = f"https://127.0.0.1:{free_port()}/hooks/monta"
    config = {"webhookUrl": url, "webhookSecret": "s" * 24, "eventTypes": ["charges"]}
    api.call("get-webhook-config", "GET", "/webhooks/config", status=404, cred=BRAVO)
    put = api.call(
        "update-webhook-config", "PUT", "/webhooks/config", status=200, cred=BRAVO, json=config
    ).json()
    assert put["webhookUrl"] == url
    api.call(
        "update-webhook-config",
        "PUT",
        "/webhooks/config",
        status=400,
        cred=BRAVO,
        json={**config, "webhookSecret": "short"},
        invalid=True,
    )
    got = api.call("get-webhook-config", "GET", "/webhooks/config", status=200, cred=BRAVO).json()
    assert got["eventTypes"] == ["charges"]
    api.call(
        "start-charge",
        "POST",
        "/charges",
        status=200,
        cred=BRAVO,
        json={"chargePointId": 202, "payingTeamId": 2001},
    )
    entries = api.call(
        "get-webhook-entries",
        "GET",
        "/webhooks/entries",
        status=200,
        cred=BRAVO,
        params={"perPage": 5},
    ).json()
    assert entries["data"] and entries["data"][-1]["payload"]["entityType"] == "charge"
    api.call(
        "get-webhook-entries",
        "GET",
        "/webhooks/entries",
        status=400,
        cred=BRAVO,
        params={"status": "lost"},
        invalid=True,
    )
    api.call("delete-webhook-config", "DELETE", "/webhooks/config", status=204, cred=BRAVO)
    api.call("delete-webhook-config", "DELETE", "/webhooks/config", status=404, cred=BRAVO)
    api.call(
        "update-webhook-config", "PUT", "/webhooks/config", status=403, cred=LIMITED, json=config
    )
