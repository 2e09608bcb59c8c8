"""A fault-injecting HTTP proxy in front of a server that has no fault injection of its own
(localstripe), so the Stripe adapter meets real timeouts and 5xx.

`python -m tests.payments.fault_proxy --port N --upstream URL`; rules through
`PUT /_proxy/faults {"rules": [{"method", "path_suffix", "kind", "count"?, "delay_s"?}]}`
with kind timeout_before_commit (sleep, never forward), timeout_after_commit (forward,
then sleep before answering) or 5xx (answer 503 without forwarding).
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

_HOP_HEADERS = {"host", "content-length", "connection", "transfer-encoding"}


def create_app(upstream: str) -> Starlette:
    client = httpx.AsyncClient(base_url=upstream, timeout=30.0)
    state: dict[str, Any] = {"rules": [], "fired": []}

    async def faults(request: Request) -> JSONResponse:
        if request.method == "PUT":
            state["rules"] = list((await request.json()).get("rules", []))
            state["fired"] = [0] * len(state["rules"])
        return JSONResponse({"rules": state["rules"], "fired": state["fired"]})

    def pick(request: Request) -> dict[str, Any] | None:
        for i, rule in enumerate(state["rules"]):
            if rule.get("method", request.method) != request.method:
                continue
            if not request.url.path.endswith(rule.get("path_suffix", "")):
                continue
            if rule.get("count") is not None and state["fired"][i] >= rule["count"]:
                continue
            state["fired"][i] += 1
            return dict(rule)
        return None

    async def forward(request: Request) -> Response:
        rule = pick(request)
        kind = rule["kind"] if rule else None
        delay = float(rule.get("delay_s", 30.0)) if rule else 0.0
        if kind == "5xx":
            return JSONResponse({"error": {"type": "api_error", "message": "injected"}}, 503)
        if kind == "timeout_before_commit":
            await asyncio.sleep(delay)
            return JSONResponse({"error": {"type": "api_error", "message": "injected"}}, 504)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
        upstream_response = await client.request(
            request.method,
            request.url.path,
            params=request.query_params,
            headers=headers,
            content=await request.body(),
        )
        if kind == "timeout_after_commit":
            await asyncio.sleep(delay)
        return Response(
            upstream_response.content,
            status_code=upstream_response.status_code,
            media_type=upstream_response.headers.get("content-type"),
        )

    methods = ["GET", "POST", "DELETE", "PUT"]
    return Starlette(
        routes=[
            Route("/_proxy/faults", faults, methods=["GET", "PUT"]),
            Route("/{path:path}", forward, methods=methods),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    args = parser.parse_args()
    uvicorn.run(create_app(args.upstream), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
