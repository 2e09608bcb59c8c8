"""A small Stripe-shaped HTTP server for what localstripe cannot show: `amount_capturable`,
Stripe's error bodies for 400/401/403, and the exact amounts the adapter sends.

It runs in-process (uvicorn in a thread on 127.0.0.1), so the adapter goes through the
real `stripe` client and real HTTP. A test seeds intents, scripts the answer to the next
matching request, and reads back what was sent. Requests it has no script for behave like
Stripe for a manual-capture PaymentIntent: retrieve, list (newest first, `created[gte]`,
`limit`, `starting_after`), update metadata, create (confirmed, requires_capture),
increment_authorization, capture (succeeded) and cancel (canceled).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support.processes import free_port


@dataclass
class Script:
    """Answer the next request whose method and path end match with `status` + `body`;
    `then` changes the stored intent before the answer (what a concurrent caller did)."""

    method: str
    path_suffix: str
    status: int
    body: dict[str, Any]
    then: dict[str, Any] | None = None
    times: int = 1


@dataclass
class Sent:
    method: str
    path: str
    form: dict[str, str]
    headers: dict[str, str]


@dataclass
class StripeStub:
    url: str = ""
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    scripts: list[Script] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    _created: int = 0

    def seed(self, intent_id: str, amount: int, currency: str, **fields: Any) -> str:
        """A confirmed manual-capture intent, as Stripe returns it (amounts in Stripe's units)."""
        self.intents[intent_id] = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": amount,
            "amount_received": 0,
            "currency": currency.lower(),
            "status": "requires_capture",
            "capture_method": "manual",
            "created": int(time.time()),
            "metadata": {},
            "latest_charge": None,
            **fields,
        }
        return intent_id

    def script(self, script: Script) -> None:
        self.scripts.append(script)

    def posts(self, path_suffix: str) -> list[Sent]:
        return [s for s in self.sent if s.method == "POST" and s.path.endswith(path_suffix)]

    def reset(self) -> None:
        self.intents.clear()
        self.scripts.clear()
        self.sent.clear()

    # ------------------------------------------------------------ the app
    def _pick(self, method: str, path: str) -> Script | None:
        for script in self.scripts:
            if script.method == method and path.endswith(script.path_suffix) and script.times:
                script.times -= 1
                return script
        return None

    def _intent_id(self, path: str) -> str:
        return path.removeprefix("/v1/payment_intents/").split("/")[0]

    def _default(self, method: str, path: str, form: dict[str, str]) -> JSONResponse:
        if method == "POST" and path == "/v1/payment_intents":
            self._created += 1
            pi_id = self.seed(
                f"pi_stub_created_{self._created}", int(form["amount"]), form["currency"]
            )
            metadata = {
                k[len("metadata[") : -1]: v for k, v in form.items() if k[:9] == "metadata["
            }
            self.intents[pi_id]["metadata"].update(metadata)
            return JSONResponse(self.intents[pi_id])
        pi = self.intents.get(self._intent_id(path))
        if pi is None:
            error = {"type": "invalid_request_error", "code": "resource_missing"}
            return JSONResponse({"error": {**error, "message": "No such payment_intent"}}, 404)
        if method == "POST" and path.endswith("/capture"):
            received = int(form.get("amount_to_capture", pi["amount_capturable"]))
            pi.update(status="succeeded", amount_received=received, amount_capturable=0)
        elif method == "POST" and path.endswith("/increment_authorization"):
            raised = int(form["amount"])
            pi.update(amount=raised, amount_capturable=raised)
        elif method == "POST" and path.endswith("/cancel"):
            pi.update(status="canceled", amount_capturable=0, cancellation_reason=None)
        elif method == "POST":
            for name, value in form.items():
                if name.startswith("metadata[") and name.endswith("]"):
                    pi["metadata"][name[len("metadata[") : -1]] = value
        return JSONResponse(pi)

    def listed(self, query: dict[str, str]) -> JSONResponse:
        """One page of `GET /v1/payment_intents`, as Stripe pages it: newest first."""
        since = int(query.get("created[gte]", 0))
        newest_first = sorted(self.intents.values(), key=lambda pi: (-pi["created"], pi["id"]))
        found = [pi for pi in newest_first if pi["created"] >= since]
        after = query.get("starting_after")
        if after is not None:
            found = found[[pi["id"] for pi in found].index(after) + 1 :]
        limit = int(query.get("limit", 10))
        page = found[:limit]
        return JSONResponse({"object": "list", "data": page, "has_more": len(found) > limit})

    def app(self) -> Starlette:
        async def handle(request: Request) -> JSONResponse:
            # the stripe client posts x-www-form-urlencoded (parsed here: no python-multipart)
            form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
            path = request.url.path
            self.sent.append(Sent(request.method, path, form, dict(request.headers)))
            script = self._pick(request.method, path)
            if script is None and request.method == "GET" and path == "/v1/payment_intents":
                return self.listed(dict(request.query_params))
            if script is None:
                return self._default(request.method, path, form)
            if script.then is not None:
                self.intents[self._intent_id(path)].update(script.then)
            return JSONResponse(script.body, script.status)

        return Starlette(routes=[Route("/{path:path}", handle, methods=["GET", "POST"])])


def stripe_error(
    status_type: str, message: str, code: str | None = None, **extra: Any
) -> dict[str, Any]:
    """A Stripe error body: {"error": {"type", "message", "code"?, ...}}."""
    error: dict[str, Any] = {"type": status_type, "message": message, **extra}
    if code is not None:
        error["code"] = code
    return {"error": error}


@contextmanager
def stripe_stub_server() -> Iterator[StripeStub]:
    stub = StripeStub()
    port = free_port()
    config = uvicorn.Config(stub.app(), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="stripe-stub", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10.0
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the Stripe stub did not start")
        time.sleep(0.02)
    stub.url = f"http://127.0.0.1:{port}"
    try:
        yield stub
    finally:
        server.should_exit = True
        thread.join(timeout=10.0)
