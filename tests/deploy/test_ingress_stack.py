"""[4 of 7]: the production shape, two API processes and two workers behind nginx (the
production template, deploy/nginx/chargepay.conf.template), gives the outcomes one API and
one worker give: every session settled once, one stop per charge that needed one, one
capture, no lost signal. And the ingress does its part: metrics stay off the public door,
the client address is nginx's to tell, bodies are capped, and each key is rate-limited."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.ingress import NGINX_MISSING, nginx_binary
from tests.api.stack import RunningStack, hold_start_body, running_stack, worker_script
from tests.api.support import auth, charge_entry, signed_batch
from tests.faults.observation import Observation

pytestmark = pytest.mark.timeout(900)
DC_POINTS = (103, 104, 105)
MILLI = Decimal("0.001")  # Monta's hard cap ends a DC charge fast at the stack's scale


@pytest.fixture(scope="module")
def ingress_stack(log_dir: Path) -> Iterator[RunningStack]:
    if nginx_binary() is None:
        pytest.skip(NGINX_MISSING + "; .ci/run installs it")
    if not worker_script().exists():
        pytest.skip("worker.py is missing: the real stack cannot run sessions")
    shape: dict[str, Any] = {
        "api_processes": 2,
        "worker_processes": 2,
        "ingress": True,
        "ingress_rate": "5r/s",
    }
    with running_stack(log_dir, time_scale=60.0, **shape) as s:
        yield s


def test_sessions_settle_once_through_two_apis_and_two_workers(
    ingress_stack: RunningStack,
) -> None:
    s = ingress_stack
    terminals = [f"IN{i}" for i in range(len(DC_POINTS))]
    keys = {t: s.new_key(t, [cp]) for t, cp in zip(terminals, DC_POINTS, strict=True)}

    def run(terminal: str, cp: int) -> tuple[str, Any]:
        r = s.start(keys[terminal], hold_start_body(s.place_hold(terminal, 1500), cp))
        assert r.status_code == 201, r.text
        sid = r.json()["session_id"]
        return sid, s.wait_state(keys[terminal], sid, timeout_s=600)

    with ThreadPoolExecutor(len(DC_POINTS)) as pool:
        done = list(pool.map(run, terminals, DC_POINTS))

    charges = s.monta_truth()["charges"]
    holds = {h["id"]: h for h in s.acquirer_truth()["holds"]}
    for sid, final in done:
        assert final["state"] == "completed", final
        (charge,) = [c for c in charges if c["partnerExternalId"] == sid]
        assert charge["state"] == "completed"
        assert len(charge["stop_requests"]) <= 1, "every stop once"
        hold = holds[final["authorization_id"]]
        assert len(hold["captures"]) == 1 and not hold["voids"], hold
        price_minor = Observation.charge_price_minor(charge)
        assert final["captured"]["amount_minor"] == min(price_minor, 1500)
        # No lost signal: the session's view reached Monta's final reading.
        kwh = Decimal(str(charge["consumedKwh"])).quantize(MILLI)
        assert Decimal(final["consumed_kwh"]).quantize(MILLI) == kwh, (final, charge)
    served = [p for p in ("api", "api-2") if "POST /v1/" in s.stack.procs[p].log_path.read_text()]
    assert served == ["api", "api-2"], "nginx spreads requests over both API processes"


def test_the_ingress_keeps_metrics_off_and_tells_the_client_address(
    ingress_stack: RunningStack,
) -> None:
    s = ingress_stack
    assert s.api.get("/metrics").status_code == 404
    r = s.api.get("/healthz", headers={"X-Forwarded-For": "6.6.6.6"})
    # nginx names itself without a version (server_tokens off); the API names nothing.
    assert r.status_code == 200 and r.headers.get("server") == "nginx"
    logs = "".join(s.stack.procs[p].log_path.read_text() for p in ("api", "api-2"))
    healthz = [line for line in logs.splitlines() if "/healthz" in line]
    assert healthz and not any("6.6.6.6" in line for line in healthz)
    big = s.api.post(
        "/v1/webhooks/monta/alpha", content=b"x" * 3_000_000, headers={"X-Monta-Signature": "x"}
    )
    assert big.status_code == 413


def test_requests_are_limited_per_terminal_key(ingress_stack: RunningStack) -> None:
    s = ingress_stack
    noisy, quiet = s.new_key("RL1", [101]), s.new_key("RL2", [101])
    with httpx.Client(base_url=s.stack.api_url, timeout=30) as http:
        answers = [http.get("/v1/sessions", headers=auth(noisy)).status_code for _ in range(60)]
        assert 429 in answers and 200 in answers, answers
        assert http.get("/v1/sessions", headers=auth(quiet)).status_code == 200


def test_a_large_webhook_batch_passes_the_ingress(ingress_stack: RunningStack) -> None:
    """Monta batches many charges into one webhook. A body larger than nginx's default
    in-memory buffer went to a temp file that nginx's unprivileged workers could not open in
    a private directory, and every such batch got a 500: the sessions then lived on the
    watcher alone."""
    entries = [
        charge_entry(f"someone-elses-{i}", 900_000 + i, "1", "2026-01-01T00:00:00Z")
        for i in range(300)
    ]
    raw, headers = signed_batch(entries)
    assert len(raw) > 64 * 1024  # beyond nginx's default client_body_buffer_size
    ack = ingress_stack.api.post("/v1/webhooks/monta/alpha", content=raw, headers=headers)
    assert ack.status_code == 200, ack.text
    assert ack.json()["not_ours"] == len(entries)
