"""The Monta emulator as a black box: physics, limits, webhooks, rate limits, faults, scoping."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from core.signature import HEADER, verify
from tests.support.monta_emulator import ALPHA, BRAVO, LIMITED, MontaEmulator, monta_emulator
from tests.support.processes import free_port

pytestmark = pytest.mark.integration
T = TypeVar("T")
SCALE = 600.0


def wait_for(probe: Callable[[], T | None], timeout_s: float = 30.0) -> T:
    """Poll until `probe` returns something truthy (a generous deadline, not a timing check)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not reached")


class Client:
    def __init__(self, emu: MontaEmulator, cred: tuple[str, str] = ALPHA) -> None:
        self.http = httpx.Client(
            base_url=emu.base_url,
            timeout=10.0,
            headers={"Authorization": f"Bearer {emu.token(*cred)}"},
        )

    def start(self, point: int, team: int = 1001, **extra: Any) -> dict[str, Any]:
        resp = self.http.post(
            "/charges", json={"chargePointId": point, "payingTeamId": team, **extra}
        )
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    def charge(self, charge_id: int) -> dict[str, Any]:
        return dict(self.http.get(f"/charges/{charge_id}").json())

    def until_state(self, charge_id: int, *states: str) -> dict[str, Any]:
        return wait_for(lambda: ((c := self.charge(charge_id))["state"] in states and c) or None)


@pytest.fixture(scope="module")
def emu(log_dir: Path) -> Iterator[MontaEmulator]:
    with monta_emulator(log_dir, time_scale=SCALE) as e:
        yield e


@pytest.fixture
def alpha(emu: MontaEmulator) -> Client:
    emu.reset()
    return Client(emu)


def _truth_charge(emu: MontaEmulator, charge_id: int) -> dict[str, Any]:
    return next(c for c in emu.truth()["charges"] if c["id"] == charge_id)


def test_kwh_limit_stops_the_charge_and_energy_follows_power(
    emu: MontaEmulator, alpha: Client
) -> None:
    charge = alpha.start(103, kwhLimit=5, partnerExternalId="phys-1")  # DC 50 kW
    done = alpha.until_state(charge["id"], "completed")
    assert done["consumedKwh"] == 5.0
    # (100 start + 5 kWh x 59) net x 1.25 VAT = 493.75 minor -> 4.94 EUR
    assert done["price"] == 4.94
    for field in ("startedAt", "cablePluggedInAt", "stoppedAt", "releasedAt", "completedAt"):
        assert done[field] is not None, field
    assert done["stopReason"] == "kwh-limit-reached"
    truth = _truth_charge(emu, charge["id"])
    assert [s["state"] for s in truth["states"]] == [
        "starting",
        "charging",
        "stopping",
        "stopped",
        "releasing",
        "released",
        "completed",
    ]
    assert truth["kwh_limit_crossed_at"] is not None
    # Between two meter readings while flat-charging: kWh = 50 kW x emulated hours.
    flowing = [m for m in truth["meter"] if 0 < m["kwh"] < 4]
    assert len(flowing) >= 2
    first, last = flowing[0], flowing[-1]
    emulated_h = (last["t"] - first["t"]) * SCALE / 3600
    assert (last["kwh"] - first["kwh"]) == pytest.approx(50 * emulated_h, rel=1e-6)
    txs = alpha.http.get(
        "/wallet-transactions", params={"referenceType": "CHARGE", "referenceId": charge["id"]}
    ).json()["data"]
    assert [(t["fromAmount"], t["fromType"], t["toType"]) for t in txs] == [
        (4.94, "team", "operator")
    ]


def test_never_plugged_car_times_out_with_zero_kwh(emu: MontaEmulator, alpha: Client) -> None:
    emu.set_charge_point(101, car={"never_plug": True})
    charge = alpha.start(101)
    done = alpha.until_state(charge["id"], "completed")
    assert done["timeoutAt"] is not None and done["startedAt"] is None
    assert done["consumedKwh"] == 0.0 and done["price"] == 0.0
    states = [s["state"] for s in _truth_charge(emu, charge["id"])["states"]]
    assert states == ["starting", "stopped", "completed"]


def test_full_car_pauses_and_stays_paused_until_stopped(emu: MontaEmulator, alpha: Client) -> None:
    emu.set_charge_point(102, car={"battery_kwh": 1.0})
    charge = alpha.start(102)
    paused = alpha.until_state(charge["id"], "paused")
    assert paused["fullyChargedAt"] is not None
    # Let five meter intervals (30 s emulated each) pass on the emulator's clock: still paused.
    states = _truth_charge(emu, charge["id"])["states"]
    paused_at = next(s["t"] for s in states if s["state"] == "paused")
    wait_for(lambda: emu.truth()["now"] > paused_at + 5 * 30 / SCALE)
    again = alpha.charge(charge["id"])
    assert again["state"] == "paused" and again["consumedKwh"] == 1.0
    stopped = alpha.http.get(f"/charges/{charge['id']}/stop").json()
    assert stopped["state"] == "stopping"
    assert alpha.until_state(charge["id"], "completed")["consumedKwh"] == 1.0
    # The stop is recorded at its arrival, the instant the request log has for it.
    truth = emu.truth()
    path = f"/charges/{charge['id']}/stop"
    arrived = [r["t"] for r in truth["requests"] if str(r["path"]).endswith(path)]
    assert _truth_charge(emu, charge["id"])["stop_requests"] == arrived


def test_price_limit_and_driver_unplug(emu: MontaEmulator, alpha: Client) -> None:
    capped = alpha.start(105, priceLimit=3)  # 3 EUR gross on DC 59/kWh + 1 EUR start fee
    done = alpha.until_state(capped["id"], "completed")
    assert done["price"] <= 3.0 and done["stopReason"] == "price-limit-reached"
    emu.set_charge_point(101, car={"unplug_after_kwh": 0.5})
    early = alpha.start(101)
    gone = alpha.until_state(early["id"], "completed")
    assert gone["consumedKwh"] == 0.5 and gone["releasedAt"] is not None


class Receiver:
    """A tiny webhook receiver: answers the scripted statuses, then 200."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.calls: list[tuple[int, bytes, str | None]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = outer.statuses.pop(0) if outer.statuses else 200
                outer.calls.append((status, body, self.headers.get(HEADER)))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_webhooks_are_signed_batched_and_redelivered(emu: MontaEmulator, alpha: Client) -> None:
    receiver = Receiver([500, 500])
    secret = "webhook-secret-0123456789"
    try:
        put = alpha.http.put(
            "/webhooks/config",
            json={"webhookUrl": receiver.url, "webhookSecret": secret, "eventTypes": ["*"]},
        )
        assert put.status_code == 200
        charge = alpha.start(102, kwhLimit=1)
        alpha.until_state(charge["id"], "completed")

        def delivered() -> list[dict[str, Any]]:
            ok = [json.loads(b) for s, b, _ in receiver.calls if s == 200]
            entries = [e for doc in ok for e in doc["entries"]]
            return entries if any(e["payload"]["state"] == "completed" for e in entries) else []

        entries = wait_for(delivered)
        assert all(verify([secret], body, sig) for _, body, sig in receiver.calls)
        assert [s for s, _, _ in receiver.calls[:2]] == [500, 500]
        # The failed batches' entries came again: the "created" entry was not lost.
        assert entries[0]["eventType"] == "created"
        assert {e["entityId"] for e in entries} == {str(charge["id"])}
        kwh = [e["payload"]["consumedKwh"] for e in entries]
        assert kwh == sorted(kwh) and kwh[-1] == 1.0
        batches = emu.truth()["webhook_batches"]
        assert [b["status"] for b in batches[:2]] == [500, 500] and batches[-1]["status"] == 200
        listed = alpha.http.get("/webhooks/entries", params={"status": "completed"}).json()
        assert listed["meta"]["totalItemCount"] == len(entries)
    finally:
        receiver.close()


def test_commit_then_drop_on_start_leaves_exactly_one_charge(
    emu: MontaEmulator, alpha: Client
) -> None:
    emu.set_faults(
        http=[{"operation": "start-charge", "kind": "commit_then_drop", "count": 1, "delay_s": 3}]
    )
    with pytest.raises(httpx.ReadTimeout):
        alpha.http.post(
            "/charges",
            json={"chargePointId": 104, "payingTeamId": 1001, "partnerExternalId": "lost-1"},
            timeout=0.5,
        )
    found = alpha.http.get("/charges", params={"partnerExternalId": "lost-1"}).json()
    assert found["meta"]["totalItemCount"] == 1
    # The point is now taken by the committed charge: a blind retry is refused.
    retry = alpha.http.post(
        "/charges", json={"chargePointId": 104, "payingTeamId": 1001, "partnerExternalId": "lost-1"}
    )
    assert retry.status_code == 400 and retry.json()["errorCode"] == "CHARGE_POINT_BUSY"
    assert emu.faults()["fired"] == {"start-charge:commit_then_drop": 1}


def test_5xx_fault_fires_count_times_then_clears(emu: MontaEmulator, alpha: Client) -> None:
    emu.set_faults(http=[{"operation": "get-charge-points", "kind": "5xx", "count": 2}])
    codes = [alpha.http.get("/charge-points").status_code for _ in range(3)]
    assert codes == [500, 500, 200]


def test_scoping_and_paging(emu: MontaEmulator, alpha: Client) -> None:
    ids = [alpha.start(p, partnerExternalId=f"page-{p}")["id"] for p in (101, 102, 103)]
    pages = [alpha.http.get("/charges", params={"perPage": 2, "page": n}).json() for n in (0, 1, 2)]
    assert [[c["id"] for c in p["data"]] for p in pages] == [ids[:2], ids[2:], []]
    assert pages[1]["meta"] == {
        "itemCount": 1,
        "currentPage": 1,
        "perPage": 2,
        "totalPageCount": 2,
        "totalItemCount": 3,
    }
    limited = Client(emu, LIMITED)
    denied = limited.http.post("/charges", json={"chargePointId": 108, "payingTeamId": 1001})
    assert denied.status_code == 403 and denied.json()["status"] == "FORBIDDEN"
    assert limited.http.get(f"/charges/{ids[0]}").status_code == 200
    bravo = Client(emu, BRAVO)
    other = bravo.http.get(f"/charges/{ids[0]}")
    assert other.status_code == 404 and other.json()["errorCode"] == "RESOURCE_NOT_FOUND"
    assert bravo.http.get("/charges").json()["meta"]["totalItemCount"] == 0
    assert bravo.http.get(f"/charges/{ids[0]}/stop").status_code == 404


def test_expired_token_is_rejected(log_dir: Path) -> None:
    env = {"MONTA_EMU_TOKEN_TTL_S": "60"}  # 60 s real = 0.1 s wall at this scale
    with monta_emulator(log_dir, time_scale=SCALE, env=env) as emu:
        client = Client(emu)
        wait_for(lambda: client.http.get("/consumers/me").status_code == 401)
        body = client.http.get("/consumers/me").json()
        assert body["errorCode"] == "INVALID_ACCESS_TOKEN"


def test_rate_limit_answers_429_after_the_quota(log_dir: Path) -> None:
    # A window long enough (600 wall s) that the quota cannot reset mid-test.
    env = {"MONTA_EMU_RATE_LIMIT": "5", "MONTA_EMU_RATE_WINDOW_S": "36000"}
    with monta_emulator(log_dir, time_scale=60.0, env=env) as emu:
        client = Client(emu)
        responses = [client.http.get("/consumers/me") for _ in range(7)]
        assert [r.status_code for r in responses] == [200] * 5 + [429] * 2
        assert [r.headers["RateLimit-Remaining"] for r in responses[:5]] == [
            "4",
            "3",
            "2",
            "1",
            "0",
        ]
        limited = responses[5].json()
        assert limited["status"] == "TOO_MANY_REQUESTS"
        info = limited["context"]["rateLimitResponse"]
        assert info["quota"] == 5 and info["exceeded"] is True
        assert 0 < info["resetsIn"] <= 36000
        assert int(responses[5].headers["RateLimit-ResetsIn"]) == pytest.approx(
            info["resetsIn"], abs=60
        )
        other = Client(emu, BRAVO)  # quotas are per credential
        assert other.http.get("/consumers/me").status_code == 200
        rate = emu.truth()["rate"]
        assert rate[ALPHA[0]]["count_429"] == 2 and rate[ALPHA[0]]["used"] == 5


def test_a_full_car_that_stays_plugged_in_is_released_when_it_leaves(
    emu: MontaEmulator, alpha: Client
) -> None:
    """Release detection (103, Monta's idle fee 10/min after 30 min): the car is full, stays
    40 emulated minutes, is unplugged; `releasedAt` is the unplug and Monta bills 10 idle
    minutes."""
    emu.set_charge_point(103, car={"battery_kwh": 1.0, "stay_plugged_s": 2400})
    charge = alpha.start(103)
    done = alpha.until_state(charge["id"], "completed")
    assert done["fullyChargedAt"] is not None and done["releasedAt"] is not None
    assert done["stopReason"] == "cable-unplugged"
    truth = _truth_charge(emu, charge["id"])
    full = next(s["t"] for s in truth["states"] if s["state"] == "paused")
    released = next(s["t"] for s in truth["states"] if s["state"] == "released")
    tick = 2 * 30  # the emulator's tick at this scale is 30 emulated seconds
    assert (released - full) * SCALE == pytest.approx(2400, abs=tick)
    # (100 start + 1 kWh x 59 + ~10 idle min x 10) x 1.25 = ~323.75 minor
    assert done["price"] == pytest.approx(3.24, abs=0.15)


def test_a_stopped_charge_waits_in_releasing_until_the_car_leaves(
    emu: MontaEmulator, alpha: Client
) -> None:
    emu.set_charge_point(101, car={"stay_plugged_s": 1200})
    charge = alpha.start(101, kwhLimit=1)
    releasing = alpha.until_state(charge["id"], "releasing")
    assert releasing["releasedAt"] is None
    done = alpha.until_state(charge["id"], "completed")
    truth = _truth_charge(emu, charge["id"])
    stopped = next(s["t"] for s in truth["states"] if s["state"] == "stopped")
    released = next(s["t"] for s in truth["states"] if s["state"] == "released")
    assert (released - stopped) * SCALE == pytest.approx(1200, abs=2 * 30)
    assert done["releasedAt"] is not None


def test_without_release_detection_the_charge_completes_with_the_car_still_there(
    emu: MontaEmulator, alpha: Client
) -> None:
    emu.set_charge_point(102, car={"stay_plugged_s": 3600})
    charge = alpha.start(102, kwhLimit=1)
    done = alpha.until_state(charge["id"], "completed")
    assert done["releasedAt"] is None and done["completedAt"] is not None
    states = [s["state"] for s in _truth_charge(emu, charge["id"])["states"]]
    assert states[-2:] == ["stopped", "completed"]
