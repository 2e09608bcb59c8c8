"""One injected HTTP fault applied to one request, answered in Monta's error shape."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from emulators.monta.errors import error_body
from emulators.monta.faults import HttpFault
from emulators.monta.world import World, now

CallNext = Callable[[Request], Awaitable[Response]]


def error(
    status: int,
    code: str,
    message: str,
    context: dict[str, Any] | None = None,
    readable: str | None = None,
) -> Response:
    body = error_body(status, code, message, readable=readable, context=context)
    return JSONResponse(body, status_code=status)


def _injected(fault: HttpFault) -> Response:
    """A 4xx/5xx with the rule's status and code, shaped like Monta's own refusals."""
    assert fault.status is not None and fault.error_code is not None  # set by the model
    return error(
        fault.status,
        fault.error_code,
        f"Injected fault: {fault.error_code}",
        context={"injectedFault": fault.kind},
        readable="The request could not be completed",
    )


def _gateway_timeout(message: str) -> Response:
    return error(504, "GATEWAY_TIMEOUT", message)


async def apply(
    fault: HttpFault, request: Request, call_next: CallNext, world: World, key: str
) -> Response:
    if fault.kind in ("4xx", "5xx"):  # refused before any work
        return _injected(fault)
    if fault.kind == "429":
        return error(
            429,
            "TOO_MANY_REQUESTS",
            "Rate limit exceeded (injected)",
            world.limiter.exceeded_context(key, now()),
        )
    if fault.kind == "timeout":  # hang before doing anything; the work is NOT done
        await asyncio.sleep(fault.delay)
        return _gateway_timeout("Injected fault: upstream timeout")
    if fault.kind == "slow":
        await asyncio.sleep(fault.delay)
        return await call_next(request)
    if fault.kind == "timeout_then_commit":
        # Monta still working on a request the client gave up on: nothing is visible during
        # the delay, the work lands after it. The body is read first because once the
        # client has gone the server can no longer receive it.
        await request.body()
        await asyncio.sleep(fault.delay)
        await call_next(request)
        return _gateway_timeout("Injected fault: upstream timeout, work done late")
    # commit_then_drop: do the work, then hold the answer past the client's timeout and
    # answer 504 instead of the real result (the connection is not aborted).
    await call_next(request)
    await asyncio.sleep(fault.delay)
    return _gateway_timeout("Injected fault: response lost after commit")
