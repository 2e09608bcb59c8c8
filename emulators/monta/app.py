"""The FastAPI app: routes, Monta-style errors, rate limits, faults, ground-truth log, ticker."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from emulators.monta import (
    routes_auth,
    routes_charges,
    routes_control,
    routes_points,
    routes_wallet,
    routes_webhooks,
)
from emulators.monta.config import EmuConfig
from emulators.monta.errors import MontaError, error_response
from emulators.monta.fault_http import apply as apply_fault
from emulators.monta.fault_http import error as _error
from emulators.monta.operations import operation_id
from emulators.monta.world import World, now

API_PREFIX = "/api/v1"
_DATE_VERSIONS = {"2024-01-18", "2024-07-01"}


def create_app(cfg: EmuConfig) -> FastAPI:
    world = World(cfg)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(_ticker(world)), asyncio.create_task(world.webhooks.run(now))]
        try:
            yield
        finally:
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await t

    app = FastAPI(title="Monta Partner API emulator", lifespan=lifespan)
    app.state.world = world
    for module in (
        routes_auth,
        routes_points,
        routes_charges,
        routes_wallet,
        routes_webhooks,
        routes_control,
    ):
        app.include_router(module.router)

    @app.exception_handler(MontaError)
    async def _monta(request: Request, exc: MontaError) -> Response:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        return _error(400, "BAD_REQUEST", "Invalid request", {"errors": errors})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = "RESOURCE_NOT_FOUND" if exc.status_code == 404 else "BAD_REQUEST"
        if exc.status_code == 405:
            code = "METHOD_NOT_ALLOWED"
        return _error(exc.status_code, code, str(exc.detail))

    @app.middleware("http")
    async def monta_edge(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if not request.url.path.startswith(API_PREFIX):
            return await call_next(request)
        t = now()
        request.state.received_at = t
        op = operation_id(request)
        auth = request.headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        cred = world.tokens.resolve(token, t)
        request.state.cred = cred
        if cred is not None:
            key = cred.clientId
            allowed, headers = world.limiter.hit(key, t)
        else:  # token endpoints and bad tokens: fair use, never 429
            key, allowed = "anonymous", True
            headers = world.limiter.headers(key, t, policy="Fair-Use")
        fault = world.faults.match(op) if allowed else None
        if not allowed:
            resp = _error(
                429,
                "TOO_MANY_REQUESTS",
                "Rate limit exceeded",
                world.limiter.exceeded_context(key, t),
            )
        elif fault is not None:
            resp = await apply_fault(fault, request, call_next, world, key)
        else:
            resp = await call_next(request)
        resp.headers.update(headers)
        version = request.headers.get("monta-version")
        if version in _DATE_VERSIONS:
            resp.headers.update(
                {
                    "Deprecation": "true",
                    "Sunset": "Sat, 01 Jan 2028 00:00:00 GMT",
                    "X-Api-Version-Hint": "v1" if version == "2024-01-18" else "v2",
                }
            )
        world.log_request(
            {
                "t": t,
                "client_id": cred.clientId if cred else None,
                "operator": cred.operator if cred else None,
                "method": request.method,
                "path": request.url.path,
                "operation": op,
                "status": resp.status_code,
            }
        )
        return resp

    return app


async def _ticker(world: World) -> None:
    """One task drives every charge: cheap enough for hundreds of concurrent charges."""
    cfg = world.cfg
    interval = min(max(cfg.wall(cfg.meter_interval_s) / 5, 0.05), 0.5)
    while True:
        await asyncio.sleep(interval)
        t = now()
        world.tick(t)
        world.tokens.purge(t)
