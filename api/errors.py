"""One error shape everywhere: `{error, message, details}` with a stable `error` code."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError, RPCStatusCode

from api.keyfile import KeyFileUnreadable

log = logging.getLogger(__name__)

_HTTP_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
}


class ErrorBody(BaseModel):
    """Every non-2xx answer. `error` is the machine-readable code clients branch on."""

    error: str
    message: str
    details: Any = None


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.details = details
        self.headers = headers


def error_response(
    status: int,
    error: str,
    message: str,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(error=error, message=message, details=jsonable_encoder(details))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def temporal_unavailable(exc: BaseException) -> ApiError:
    log.warning("Temporal is not reachable: %r", exc)  # the detail stays in the log
    return ApiError(503, "temporal_unavailable", "Temporal is not reachable")


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Drop the echoed input and ctx: they can be huge (fuzzing) and hold non-JSON values.
    return [
        {"loc": list(err.get("loc", ())), "msg": str(err.get("msg", "")), "type": err.get("type")}
        for err in exc.errors()
    ]


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.error, exc.message, exc.details, exc.headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(
        422, "invalid_request", "the request is not valid", _validation_details(exc)
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    headers = dict(exc.headers) if exc.headers else None
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": _allowed_methods(request, headers or {})}
    return error_response(exc.status_code, code, str(exc.detail), headers=headers)


def _allowed_methods(request: Request, headers: dict[str, str]) -> str:
    """Every method the path serves, from the OpenAPI paths. Starlette's 405 names only the
    first route whose path matched, so `/v1/sessions` (GET list, POST start) would claim to
    allow POST alone; its own list is kept for routes outside the schema."""
    methods = {m.strip() for m in headers.get("Allow", "").split(",") if m.strip()}
    for template, operations in request.app.openapi().get("paths", {}).items():
        if re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", template), request.url.path):
            methods |= {method.upper() for method in operations}
    return ", ".join(sorted(methods))


async def _rpc_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RPCError)
    if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
        return error_response(503, "temporal_unavailable", "Temporal is not reachable")
    if exc.status == RPCStatusCode.FAILED_PRECONDITION:
        # A query to a session no worker has run yet (its first task is still pending):
        # the session is there but cannot answer now, like one that is slow to.
        return error_response(503, "session_busy", "the session cannot answer yet; retry")
    log.exception("unexpected Temporal error", exc_info=exc)
    return error_response(502, "temporal_error", f"Temporal answered {exc.status.name}")


async def _keys_unavailable(_: Request, exc: Exception) -> JSONResponse:
    return error_response(503, "keys_unavailable", "the API key file cannot be read")


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return error_response(500, "internal_error", "internal error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RPCError, _rpc_error)
    app.add_exception_handler(KeyFileUnreadable, _keys_unavailable)
    app.add_exception_handler(Exception, _unexpected)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting the error body for these statuses."""
    return {status: {"model": ErrorBody} for status in statuses}
